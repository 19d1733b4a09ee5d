"""Overview, Traffic, Errors and Latency: the same four pages in each portal.

The query API decides what the user sees from the user's token (an admin: the tenant; a
publisher: the tenant's APIs; a developer: its own applications), so the pages never filter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response

from apim_portals.analytics import views
from apim_portals.client import ApiError
from apim_portals.web import AdminPage, DevportalPage, Page, PublisherPage

PAGES = (("overview", "Overview"), ("traffic", "Traffic"), ("errors", "Errors"), ("latency", "Latency"))


async def _ask(page: Page, *queries: dict[str, str]) -> list[dict[str, Any]]:
    session = page.user()
    return list(await asyncio.gather(*(page.platform.analytics(q, session) for q in queries)))


def _render(page: Page, key: str, period: views.Period, error: ApiError | None, **context: Any) -> Response:
    return page.render(
        f"analytics/{key}.html",
        status=error.status if error is not None and 400 <= error.status < 600 else 200,
        active="analytics",
        tab=key,
        tabs=PAGES,
        tab_title=dict(PAGES)[key],
        period=period,
        periods=views.PERIODS,
        error=error,
        **context,
    )


async def overview(page: Page, period_key: str) -> Response:
    period = views.period_of(period_key)
    try:
        totals, series, apis = await _ask(
            page,
            views.params(period, views.OVERVIEW_TOTALS),
            views.params(period, views.OVERVIEW_SERIES, "time"),
            views.overview_apis_params(period),
        )
    except ApiError as exc:
        return _render(page, "overview", period, exc, view=views.overview({}, {}, {}))
    return _render(page, "overview", period, None, view=views.overview(totals, series, apis))


async def traffic(page: Page, period_key: str, by: str) -> Response:
    period = views.period_of(period_key)
    by = by if by in views.TRAFFIC_BY else "api"
    try:
        (answer,) = await _ask(page, views.params(period, views.TRAFFIC_METRICS, views.TRAFFIC_BY[by]))
    except ApiError as exc:
        return _render(page, "traffic", period, exc, by=by, view=views.traffic(by, {}))
    return _render(page, "traffic", period, None, by=by, view=views.traffic(by, answer))


async def errors(page: Page, period_key: str, by: str) -> Response:
    period = views.period_of(period_key)
    by = by if by in views.ERRORS_BY else "category"
    queries = [views.params(period, views.ERRORS_METRICS, "api,errorType")]
    if by == "status":
        queries.append(views.params(period, views.ERRORS_METRICS, "statusCode"))
    try:
        per_api, *by_status = await _ask(page, *queries)
    except ApiError as exc:
        return _render(page, "errors", period, exc, by=by, view=views.errors(by, None, {}))
    answer = by_status[0] if by_status else None
    return _render(page, "errors", period, None, by=by, view=views.errors(by, answer, per_api))


async def latency(page: Page, period_key: str) -> Response:
    period = views.period_of(period_key)
    try:
        (answer,) = await _ask(page, views.latency_params(period))
    except ApiError as exc:
        return _render(page, "latency", period, exc, view=views.latency({}))
    return _render(page, "latency", period, None, view=views.latency(answer))


def _router(portal: str, page_of: Callable[[Request], Page]) -> APIRouter:
    """The four pages under ``/{portal}/analytics``, each as ``page_of`` sees the request."""
    router = APIRouter(prefix=f"/{portal}/analytics", include_in_schema=False)

    async def overview_page(request: Request, period: str = views.DEFAULT_PERIOD) -> Response:
        return await overview(page_of(request), period)

    async def traffic_page(request: Request, period: str = views.DEFAULT_PERIOD, by: str = "api") -> Response:
        return await traffic(page_of(request), period, by)

    async def errors_page(
        request: Request, period: str = views.DEFAULT_PERIOD, by: str = "category"
    ) -> Response:
        return await errors(page_of(request), period, by)

    async def latency_page(request: Request, period: str = views.DEFAULT_PERIOD) -> Response:
        return await latency(page_of(request), period)

    for path, handler in (
        ("", overview_page),
        ("/", overview_page),
        ("/traffic", traffic_page),
        ("/errors", errors_page),
        ("/latency", latency_page),
    ):
        router.add_api_route(path, handler, methods=["GET"])
    return router


def _page_of(alias: Any) -> Callable[[Request], Page]:
    """The function behind a portal's ``Annotated[Page, Depends(...)]`` alias."""
    dependency: Callable[[Request], Page] = get_args(alias)[1].dependency
    return dependency


routers = (
    _router("publisher", _page_of(PublisherPage)),
    _router("admin", _page_of(AdminPage)),
    _router("devportal", _page_of(DevportalPage)),
)
