"""Internal endpoints (service token, scope ``apim:internal``): the admin's application listing and
change of owner, the publisher's subscription view with block / unblock, and a gateway's snapshot."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.pagination import PageDep, Pagination
from apim_common.security import InternalPrincipal
from apim_devportal.applications import service as applications
from apim_devportal.applications import views as application_views
from apim_devportal.applications.models import Application
from apim_devportal.applications.repository import ApplicationRepository
from apim_devportal.applications.schemas import ApplicationInfo, ApplicationList, ApplicationPublic
from apim_devportal.deps import PREFIX, KeyManagerDep
from apim_devportal.keys.repository import KeyMappingRepository
from apim_devportal.subscriptions import service as subscriptions
from apim_devportal.subscriptions import views as subscription_views
from apim_devportal.subscriptions.repository import SubscriptionRepository
from apim_devportal.subscriptions.schemas import SubscriptionList, SubscriptionPublic

router = APIRouter(prefix="/internal", tags=["Internal"])


@router.get("/applications")
async def list_all_applications(
    session: SessionDep,
    _: InternalPrincipal,
    page: PageDep,
    tenant: str | None = None,
    user: str | None = None,
    name: str | None = None,
) -> ApplicationList:
    repository = ApplicationRepository(session)
    found = [
        app
        for app in await repository.everything()
        if (not tenant or app.tenant == tenant)
        and (not user or app.owner == user)
        and (not name or name.lower() in app.name.lower())
    ]
    chunk = found[page.offset : page.offset + page.limit]
    counts = await repository.subscription_counts(app.id for app in chunk)
    items = [application_views.info(app, counts.get(app.id, 0)) for app in chunk]
    return ApplicationList(
        count=len(items),
        list=items,
        pagination=Pagination(offset=page.offset, limit=page.limit, total=len(found)),
    )


async def _of_tenant(session: SessionDep, tenant: str, application_id: str) -> Application:
    app = await ApplicationRepository(session).get(application_id)
    if app is None or app.tenant != tenant:
        raise NotFound(
            f"Requested application with id '{application_id}' not found",
            message="Application Not Found",
            code=900306,
        )
    return app


@router.get("/applications/{applicationId}")
async def get_application(
    applicationId: str,
    tenant: Annotated[str, Query(min_length=1)],
    session: SessionDep,
    _: InternalPrincipal,
) -> ApplicationPublic:
    """The admin's view: an application of ``tenant``, without its keys."""
    app = await _of_tenant(session, tenant, applicationId)
    return (await application_views.public(session, app)).model_copy(update={"keys": []})


@router.delete("/applications/{applicationId}")
async def delete_application(
    applicationId: str,
    tenant: Annotated[str, Query(min_length=1)],
    session: SessionDep,
    _: InternalPrincipal,
    key_manager: KeyManagerDep,
) -> Response:
    """As the owner's delete: subscriptions and key mappings go, and the OAuth clients at the key
    manager, which revokes their tokens."""
    await applications.remove(session, await _of_tenant(session, tenant, applicationId), key_manager)
    return Response(status_code=200)


@router.post("/applications/{applicationId}/change-owner")
async def change_application_owner(
    applicationId: str,
    owner: Annotated[str, Query(min_length=1)],
    tenant: Annotated[str, Query(min_length=1)],
    session: SessionDep,
    _: InternalPrincipal,
) -> ApplicationInfo:
    """The tenant is the calling administrator's: an application of another tenant is not found."""
    app = await applications.change_owner(session, tenant, applicationId, owner)
    counts = await ApplicationRepository(session).subscription_counts([app.id])
    return application_views.info(app, counts.get(app.id, 0))


@router.get("/subscriptions")
async def list_api_subscriptions(
    session: SessionDep, _: InternalPrincipal, page: PageDep, apiId: str | None = None
) -> SubscriptionList:
    repository = SubscriptionRepository(session)
    found = list(await repository.of_api(apiId) if apiId else await repository.everything())
    chunk = found[page.offset : page.offset + page.limit]
    items = [await subscription_views.public(session, sub, prefix=PREFIX) for sub in chunk]
    return SubscriptionList(
        count=len(items),
        list=items,
        pagination=Pagination(offset=page.offset, limit=page.limit, total=len(found)),
    )


@router.post("/subscriptions/{subscriptionId}/block")
async def block_subscription(
    subscriptionId: str,
    blockState: Annotated[Literal["BLOCKED", "PROD_ONLY_BLOCKED"], Query()],
    session: SessionDep,
    _: InternalPrincipal,
) -> SubscriptionPublic:
    sub = await subscriptions.set_block_state(session, subscriptionId, blockState)
    return await subscription_views.public(session, sub, prefix=PREFIX)


@router.post("/subscriptions/{subscriptionId}/unblock")
async def unblock_subscription(
    subscriptionId: str, session: SessionDep, _: InternalPrincipal
) -> SubscriptionPublic:
    sub = await subscriptions.set_block_state(session, subscriptionId, "UNBLOCKED")
    return await subscription_views.public(session, sub, prefix=PREFIX)


@router.get("/gateway-snapshot")
async def gateway_snapshot(session: SessionDep, _: InternalPrincipal) -> dict[str, list[dict[str, object]]]:
    """Everything a starting gateway needs of every tenant: applications in the shape of their
    events, subscriptions as the gateway keeps them (ids, tier and status)."""
    apps = await ApplicationRepository(session).everything()
    counts = await ApplicationRepository(session).subscription_counts(app.id for app in apps)
    applications_data = []
    for app in apps:
        data = application_views.info(app, counts.get(app.id, 0)).model_dump(mode="json")
        data["tenant"] = app.tenant
        applications_data.append(data)
    subscriptions_data = [
        subscription_views.for_gateway(sub) for sub in await SubscriptionRepository(session).everything()
    ]
    mappings = [
        {
            "applicationId": m.application_id,
            "keyType": m.key_type,
            "keyManager": m.key_manager,
            "consumerKey": m.consumer_key,
            "keyMappingId": m.id,
            "tenant": m.tenant,
        }
        for m in await KeyMappingRepository(session).everything()
    ]
    return {"applications": applications_data, "subscriptions": subscriptions_data, "keyMappings": mappings}
