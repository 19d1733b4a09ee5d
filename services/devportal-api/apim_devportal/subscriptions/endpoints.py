from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from apim_common.analytics_client import internal_query_url
from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.internal_calls import call
from apim_common.pagination import PageDep, Pagination
from apim_common.security import OptionalPrincipal, Principal, require_scopes
from apim_devportal.applications.models import Application
from apim_devportal.common import RequestedTenant
from apim_devportal.deps import PREFIX, SettingsDep
from apim_devportal.subscriptions import service, views
from apim_devportal.subscriptions.schemas import (
    AdditionalSubscriptionInfo,
    AdditionalSubscriptionInfoList,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionPublic,
    SubscriptionUsage,
    UsageGranularity,
    UsagePoint,
)

router = APIRouter(tags=["Subscriptions"])

SubManager = Annotated[Principal, Depends(require_scopes("apim:subscribe", "apim:sub_manage"))]


@router.get("/subscriptions")
async def list_subscriptions(
    session: SessionDep,
    principal: SubManager,
    page: PageDep,
    tenant: RequestedTenant,
    apiId: str | None = None,
    applicationId: str | None = None,
    groupId: str | None = None,
) -> SubscriptionList:
    found = await service.listing(
        session, principal, api_id=apiId, application_id=applicationId, group_id=groupId
    )
    chunk = found[page.offset : page.offset + page.limit]
    items = [await views.public(session, sub, prefix=PREFIX) for sub in chunk]
    return SubscriptionList(
        count=len(items),
        list=items,
        pagination=Pagination(offset=page.offset, limit=page.limit, total=len(found)),
    )


@router.post("/subscriptions", status_code=201, responses={202: {"description": "Waiting for approval"}})
async def subscribe(
    body: SubscriptionIn, session: SessionDep, principal: SubManager, tenant: RequestedTenant
) -> JSONResponse:
    sub = await service.create(session, principal, body, tenant)
    shown = (await views.public(session, sub, prefix=PREFIX)).model_dump(mode="json")
    return JSONResponse(
        shown,
        status_code=202 if sub.status == "ON_HOLD" else 201,
        headers={"Location": f"{PREFIX}/subscriptions/{sub.id}"},
    )


@router.post("/subscriptions/multiple")
async def subscribe_many(
    body: list[SubscriptionIn], session: SessionDep, principal: SubManager, tenant: RequestedTenant
) -> list[SubscriptionPublic]:
    created = [await service.create(session, principal, item, tenant) for item in body]
    return [await views.public(session, sub, prefix=PREFIX) for sub in created]


@router.get("/subscriptions/{apiId}/additionalInfo")
async def additional_info(
    apiId: str,
    session: SessionDep,
    principal: OptionalPrincipal,
    page: PageDep,
    tenant: RequestedTenant,
    groupId: str | None = None,
) -> AdditionalSubscriptionInfoList:
    """The caller's subscriptions to one API with their applications' names (none when anonymous)."""
    found = []
    if principal is not None:
        found = list(
            await service.listing(session, principal, api_id=apiId, application_id=None, group_id=groupId)
        )
    chunk = found[page.offset : page.offset + page.limit]
    items = []
    for sub in chunk:
        app = await session.get(Application, sub.application_id)
        items.append(
            AdditionalSubscriptionInfo(
                subscriptionId=sub.id,
                applicationId=sub.application_id,
                applicationName=app.name if app else "",
                apiId=sub.api_id,
            )
        )
    return AdditionalSubscriptionInfoList(
        count=len(items),
        list=items,
        pagination=Pagination(offset=page.offset, limit=page.limit, total=len(found)),
    )


@router.get("/subscriptions/{subscriptionId}")
async def get_subscription(
    subscriptionId: str, session: SessionDep, principal: SubManager
) -> SubscriptionPublic:
    sub, app = await service.visible(session, principal, subscriptionId)
    return await views.public(session, sub, app, prefix=PREFIX)


@router.get("/subscriptions/{subscriptionId}/usage")
async def subscription_usage(
    subscriptionId: str,
    request: Request,
    session: SessionDep,
    principal: SubManager,
    settings: SettingsDep,
    granularity: UsageGranularity = "hour",
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
) -> SubscriptionUsage:
    """Calls of the subscription's application to its API per time bucket, from the analytics
    rollups (WSO2 answers this path with a monetization invoice; the counts are what it bills)."""
    sub, app = await service.visible(session, principal, subscriptionId)
    if not settings.analytics_url:
        raise NotFound(
            "Analytics is not deployed here (APIM_ANALYTICS_URL is unset), so no usage is recorded",
            message="Usage Not Available",
        )
    found = await call(
        request,
        "GET",
        internal_query_url(settings.analytics_url),
        "Reading the subscription's usage",
        params={
            "tenant": await service.api_tenant(session, sub),
            "apiId": sub.api_id,
            "applicationId": app.id,
            "metrics": "requestCount",
            "dimensions": "time",
            "granularity": granularity,
            "from": from_.isoformat() if from_ is not None else None,
            "to": to.isoformat() if to is not None else None,
            "limit": 10_000,
        },
    )
    points = [UsagePoint(time=row["time"], requestCount=row["requestCount"]) for row in found["list"]]
    total = sum(point.requestCount for point in points)
    return SubscriptionUsage(
        properties={
            "requestCount": str(total),
            "from": found["from"],
            "to": found["to"],
            "granularity": granularity,
        },
        subscriptionId=sub.id,
        apiId=sub.api_id,
        applicationId=app.id,
        granularity=granularity,
        from_=found["from"],
        to=found["to"],
        requestCount=total,
        list=points,
    )


@router.put("/subscriptions/{subscriptionId}")
async def update_subscription(
    subscriptionId: str,
    body: SubscriptionIn,
    session: SessionDep,
    principal: SubManager,
    tenant: RequestedTenant,
) -> SubscriptionPublic:
    sub = await service.change_tier(session, principal, subscriptionId, body, tenant)
    return await views.public(session, sub, prefix=PREFIX)


@router.delete("/subscriptions/{subscriptionId}")
async def delete_subscription(subscriptionId: str, session: SessionDep, principal: SubManager) -> Response:
    await service.delete(session, principal, subscriptionId)
    return Response(status_code=200)
