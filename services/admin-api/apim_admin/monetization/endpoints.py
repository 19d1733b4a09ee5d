"""``/monetization/publish-usage`` and its ``/status`` (WSO2's); ``/monetization/usage-report``
(ours: the ``report`` provider's bill, JSON or CSV) and the revenue the publisher reads."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from apim_admin.monetization import service
from apim_admin.monetization.auth import UsagePublish
from apim_admin.monetization.runner import UsagePublisher
from apim_common.db import SessionDep
from apim_common.security import InternalPrincipal

router = APIRouter(prefix="/api/am/admin/v4/monetization", tags=["Monetization (Collection)"])
internal_router = APIRouter(prefix="/api/am/admin/v4/internal/monetization", tags=["Internal"])


@router.post("/publish-usage", status_code=202)
async def publish_usage(
    request: Request,
    principal: UsagePublish,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
) -> JSONResponse:
    """Start publishing the tenant's usage since the last published period (or over
    ``from``/``to``, ours); 409 while a job of the tenant runs."""
    publisher: UsagePublisher = request.app.state.usage_publisher
    job = await publisher.submit(principal.tenant, from_, to)
    body = {"status": "Request Accepted", "message": "Server is running the usage publisher", "jobId": job.id}
    return JSONResponse(body, status_code=202)


@router.get("/publish-usage/status")
async def publish_usage_status(session: SessionDep, principal: UsagePublish) -> dict[str, Any]:
    return await service.latest_status(session, principal.tenant)


def _csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=service.REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(report["list"])
    return out.getvalue()


@router.get("/usage-report")
async def usage_report(
    request: Request,
    session: SessionDep,
    principal: UsagePublish,
    jobId: Annotated[str | None, Query(max_length=36)] = None,
    format: Literal["json", "csv"] | None = None,
) -> Response:
    """One published period's usage per subscription with the amounts owed (the last completed
    publish by default); CSV with ``format=csv`` or ``Accept: text/csv``."""
    report = await service.report(session, principal.tenant, jobId)
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    if wants_csv:
        filename = f"usage-{report['jobId']}.csv"
        return Response(
            _csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return JSONResponse(report)


@internal_router.get("/revenue")
async def api_revenue(
    session: SessionDep,
    _caller: InternalPrincipal,
    tenant: Annotated[str, Query(min_length=1, max_length=255)],
    apiId: Annotated[str, Query(min_length=1, max_length=64)],
) -> dict[str, Any]:
    """What was billed for one API (the publisher has checked its caller may see the API)."""
    return await service.revenue(session, tenant, apiId)


@internal_router.get("/usage")
async def subscription_usage(
    session: SessionDep,
    _caller: InternalPrincipal,
    tenant: Annotated[str, Query(min_length=1, max_length=255)],
    subscriptionId: Annotated[str, Query(min_length=1, max_length=64)],
) -> dict[str, Any]:
    """A subscription's last billed usage (the publisher has checked its caller may see it)."""
    return await service.subscription_usage(session, tenant, subscriptionId)
