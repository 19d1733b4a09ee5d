"""The Publisher's view of subscriptions; devportal-api owns them, so every call goes there."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.pagination import PageDep
from apim_common.security import Principal
from apim_common.settings import ServiceSettings
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.internal_calls import call, devportal

router = APIRouter(tags=["Subscriptions"])


async def _of_api(request: Request, api_id: str, limit: int = 1000, offset: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = await call(
        request,
        "GET",
        devportal(request, "/subscriptions"),
        "Listing subscriptions",
        params={"apiId": api_id, "limit": limit, "offset": offset},
    )
    return found


async def _find(
    request: Request, session: SessionDep, principal: Principal, subscription_id: str
) -> dict[str, Any]:
    """The subscription, if it is to one of the caller's tenant's APIs or products."""
    for api in await apis.of_caller(session, principal):
        for subscription in (await _of_api(request, api.id)).get("list") or []:
            if subscription.get("subscriptionId") == subscription_id:
                found: dict[str, Any] = subscription
                return found
    raise NotFound(f"Subscription '{subscription_id}' not found", message="Subscription Not Found")


@router.get("/subscriptions")
async def list_subscriptions(
    request: Request,
    session: SessionDep,
    principal: scopes.SubscriptionRead,
    page: PageDep,
    apiId: str | None = None,
) -> dict[str, Any]:
    if apiId is not None:
        api = await apis.get(session, principal, apiId)
        return await _of_api(request, api.id, page.limit, page.offset)
    everything: list[Any] = []
    for api in await apis.of_caller(session, principal):
        everything += (await _of_api(request, api.id)).get("list") or []
    window = everything[page.offset : page.offset + page.limit]
    return {
        "count": len(window),
        "list": window,
        "pagination": {"offset": page.offset, "limit": page.limit, "total": len(everything)},
    }


@router.post("/subscriptions/block-subscription")
async def block_subscription(
    request: Request,
    session: SessionDep,
    principal: scopes.SubscriptionBlock,
    subscriptionId: Annotated[str, Query(min_length=1)],
    blockState: Annotated[Literal["BLOCKED", "PROD_ONLY_BLOCKED"], Query()],
) -> Response:
    await _find(request, session, principal, subscriptionId)
    await call(
        request,
        "POST",
        devportal(request, f"/subscriptions/{subscriptionId}/block"),
        "Blocking a subscription",
        params={"blockState": blockState},
    )
    return Response(status_code=200)


@router.post("/subscriptions/unblock-subscription")
async def unblock_subscription(
    request: Request,
    session: SessionDep,
    principal: scopes.SubscriptionBlock,
    subscriptionId: Annotated[str, Query(min_length=1)],
) -> Response:
    await _find(request, session, principal, subscriptionId)
    await call(
        request,
        "POST",
        devportal(request, f"/subscriptions/{subscriptionId}/unblock"),
        "Unblocking a subscription",
    )
    return Response(status_code=200)


@router.get("/subscriptions/{subscriptionId}/subscriber-info")
async def subscriber_info(
    subscriptionId: str, request: Request, session: SessionDep, principal: scopes.SubscriptionRead
) -> dict[str, Any]:
    subscription = await _find(request, session, principal, subscriptionId)
    application = subscription.get("applicationInfo") or {}
    owner = application.get("owner") or application.get("subscriber") or ""
    claims = (
        [{"name": "applicationName", "value": application.get("name")}] if application.get("name") else []
    )
    return {"name": owner, "claims": claims}


@router.get("/subscriptions/{subscriptionId}/usage")
async def subscription_usage(
    subscriptionId: str, request: Request, session: SessionDep, principal: scopes.SubscriptionRead
) -> dict[str, Any]:
    """The subscription's usage in the last billing period the admin service's usage publisher
    priced it for (WSO2's ``APIMonetizationUsage``); 404 while none was."""
    await _find(request, session, principal, subscriptionId)
    settings: ServiceSettings = request.app.state.settings
    found: dict[str, Any] = await call(
        request,
        "GET",
        f"{settings.admin_url.rstrip('/')}/api/am/admin/v4/internal/monetization/usage",
        "Reading the subscription's billed usage",
        params={"tenant": principal.tenant, "subscriptionId": subscriptionId},
    )
    return {"properties": dict(found.get("properties") or {})}
