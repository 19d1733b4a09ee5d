"""A GraphQL API in the Developer Portal: its schema, and a console that POSTs ``{query,
variables}`` to the API on the gateway through the try-it relay, with the credential the user
chose for try-it calls (an application's token)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from apim_portals.client import ApiError
from apim_portals.devportal.pages import gateway_base
from apim_portals.web import DevportalPage

router = APIRouter(prefix="/devportal", include_in_schema=False)

EXAMPLE_QUERY = "{\n  __typename\n}\n"


async def _types(page: DevportalPage, path: str) -> list[dict[str, Any]]:
    try:
        found = await page.api("GET", f"{path}/graphql-policies/complexity/types")
    except ApiError:
        return []
    return [t for t in found.get("typeList", []) if isinstance(t, dict)]


@router.get("/apis/{api_id}/graphql")
async def console(page: DevportalPage, api_id: str) -> Response:
    path = f"/apis/{quote(api_id, safe='')}"
    try:
        api: dict[str, Any] = await page.api("GET", path)
    except ApiError as exc:
        return page.error(exc, "not_found.html")
    schema, types = await asyncio.gather(
        page.platform.devportal_raw(f"{path}/graphql-schema", page.caller), _types(page, path)
    )
    credentials = page.session.credentials if page.session is not None else []
    return page.render(
        "devportal/graphql.html",
        api=api,
        schema=schema.text if schema.status_code == 200 else "",
        types=types,
        endpoint=gateway_base(page.settings.gateway_url, api),
        example=EXAMPLE_QUERY,
        credentials=credentials,
        tab="graphql",
    )
