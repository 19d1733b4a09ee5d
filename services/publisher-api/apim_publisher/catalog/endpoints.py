"""Listings of what other services own: throttling tiers, key managers, tenants, API categories,
and what the tenant configuration holds (linter rules, external stores)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from apim_common.db import SessionDep
from apim_common.errors import BadRequest, NotFound
from apim_common.pagination import Page, PageDep
from apim_publisher import scopes
from apim_publisher.apis.repository import APIRepository
from apim_publisher.catalog import service
from apim_publisher.catalog.service import KnownRepository

router = APIRouter(tags=["Throttling Policies", "Key Managers", "Tenants", "API Category", "Settings"])
LEVELS = {"subscription": service.SUBSCRIPTION_TIER, "api": service.API_TIER}


async def _tiers(session: SessionDep, tenant: str, level: str) -> list[dict[str, Any]]:
    kind = LEVELS.get(level)
    if kind is None:
        raise BadRequest(f"policyLevel must be one of {', '.join(LEVELS)}", message="Invalid policy level")
    rows = await KnownRepository(session).visible(kind, tenant)
    return sorted((r.data for r in rows), key=lambda d: str(d["name"]).lower())


def _page(request: Request, items: list[dict[str, Any]], page: Any) -> Page[dict[str, Any]]:
    window = items[page.offset : page.offset + page.limit]
    return Page[dict[str, Any]].of(
        window, total=len(items), limit=page.limit, offset=page.offset, path=request.url.path
    )


@router.get("/throttling-policies/streaming/subscription")
async def streaming_tiers(
    request: Request, session: SessionDep, principal: scopes.TierRead, page: PageDep
) -> Page[dict[str, Any]]:
    tiers = [
        service.streaming_tier_public(t)
        for t in await _tiers(session, principal.tenant, "subscription")
        if service.is_streaming(t)
    ]
    return _page(request, tiers, page)


@router.get("/throttling-policies/{policyLevel}")
async def list_tiers(
    policyLevel: str, request: Request, session: SessionDep, principal: scopes.TierRead, page: PageDep
) -> Page[dict[str, Any]]:
    tiers = [
        service.tier_public(t)
        for t in await _tiers(session, principal.tenant, policyLevel)
        if not service.is_streaming(t)
    ]
    return _page(request, tiers, page)


@router.get("/throttling-policies/{policyLevel}/{policyName}")
async def get_tier(
    policyLevel: str, policyName: str, session: SessionDep, principal: scopes.TierRead
) -> dict[str, Any]:
    for tier in await _tiers(session, principal.tenant, policyLevel):
        if tier["name"] == policyName:
            return service.tier_public(tier)
    raise NotFound(
        f"Throttling policy '{policyName}' of level {policyLevel} not found", message="Policy Not Found"
    )


@router.get("/key-managers")
async def list_key_managers(
    session: SessionDep, principal: scopes.ViewCreateOrManage
) -> list[dict[str, Any]]:
    rows = await KnownRepository(session).visible(service.KEY_MANAGER, principal.tenant)
    keys = ("id", "name", "type", "displayName", "description", "enabled", "additionalProperties")
    return [
        {k: r.data.get(k) for k in keys}
        for r in sorted(rows, key=lambda r: r.key)
        if r.data.get("enabled", True)
    ]


@router.get("/tenants")
async def list_tenants(
    request: Request,
    session: SessionDep,
    principal: scopes.ApiViewOrManage,
    page: PageDep,
    state: str = "active",
) -> Page[dict[str, Any]]:
    wanted = state.upper()
    if wanted not in ("ACTIVE", "INACTIVE"):
        raise BadRequest("state must be active or inactive")
    rows = await KnownRepository(session).every(service.TENANT)
    tenants = [
        {"domain": r.key, "status": str(r.data.get("status") or "ACTIVE")}
        for r in sorted(rows, key=lambda r: r.key)
        if str(r.data.get("status") or "ACTIVE").upper() == wanted
    ]
    return _page(request, tenants, page)


@router.get("/api-categories")
async def list_categories(session: SessionDep, principal: scopes.ApiViewOrManage) -> dict[str, Any]:
    rows = await KnownRepository(session).visible(service.CATEGORY, principal.tenant)
    apis = await APIRepository(session).of_tenant(principal.tenant)
    items = [
        {
            "id": r.data.get("id"),
            "name": r.key,
            "description": r.data.get("description"),
            "numberOfAPIs": sum(1 for a in apis if r.key in (a.spec.get("categories") or [])),
        }
        for r in sorted(rows, key=lambda r: r.key.lower())
    ]
    return {"count": len(items), "list": items}


@router.get("/linter-custom-rules")
async def linter_custom_rules(session: SessionDep, principal: scopes.ApiViewOrManage) -> Response:
    """The tenant's API-definition linter ruleset (tenant-config ``LinterCustomRules``); 204 when none."""
    rules = (await service.tenant_config(session, principal.tenant)).get("LinterCustomRules")
    if not rules:
        return Response(status_code=204)
    import json

    return Response(json.dumps(rules), media_type="application/json")


def external_stores(config: dict[str, Any]) -> list[dict[str, Any]]:
    stores = config.get("ExternalStores") or []
    return [
        {
            "id": str(s.get("id")),
            "displayName": s.get("displayName") or s.get("id"),
            "type": s.get("type") or "wso2",
            "endpoint": s.get("endpoint"),
        }
        for s in stores
        if isinstance(s, dict) and s.get("id")
    ]


@router.get("/external-stores")
async def list_external_stores(
    session: SessionDep, principal: scopes.ApiViewOrManage
) -> list[dict[str, Any]]:
    return external_stores(await service.tenant_config(session, principal.tenant))
