"""Subscriptions: an application of the caller subscribes to an API (or API product) the caller
can see, with one of the tiers the API allows.

PUBLISHED APIs take new subscriptions; DEPRECATED ones keep the existing ones but refuse new
ones; PROTOTYPED ones are called without any. An application of another tenant than the API's
subscribes only where the API's ``subscriptionAvailability`` allows it (by default it does not).
With AM_SUBSCRIPTION_CREATION switched on, a new subscription is ON_HOLD until an admin approves
it. The publisher blocks and unblocks them.

A subscription tier's ``subscriberCount`` (when above 0) is how many subscriptions one API takes on
that tier: pending approval ones hold their place, rejected and removed ones free it, and
concurrent subscribes to the API wait for each other in the database so none goes past it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, Forbidden, NotFound
from apim_common.security import Principal
from apim_common.subscription_availability import tenant_may_subscribe
from apim_devportal.applications import service as applications
from apim_devportal.applications.models import Application
from apim_devportal.catalog import service as catalog
from apim_devportal.catalog.models import CatalogApi
from apim_devportal.common import new_id, utcnow
from apim_devportal.subscriptions.models import Subscription
from apim_devportal.subscriptions.repository import SubscriptionRepository
from apim_devportal.subscriptions.schemas import SubscriptionIn
from apim_devportal.subscriptions.views import announce_change
from apim_devportal.tenants.service import workflow_enabled
from apim_devportal.throttling import service as tiers
from apim_devportal.workflows import service as workflows

CREATION_WORKFLOW = "AM_SUBSCRIPTION_CREATION"
APPLICATION_SCHEMES = frozenset(("oauth2", "api_key", "basic_auth"))
BLOCK_STATES = ("BLOCKED", "PROD_ONLY_BLOCKED")


async def _check_tier(
    session: AsyncSession, api: CatalogApi, tier: str, who: catalog.Viewer
) -> dict[str, Any] | None:
    """The tier's policy (None when the admin API has not told of it); refused if not allowed."""
    if tier not in (api.policies or []):
        raise BadRequest(
            f"Tier {tier} is not allowed for API {api.name}-{api.version}. Allowed tiers are "
            f"{', '.join(api.policies or [])}",
            message="Invalid Subscription Tier",
        )
    policy = await tiers.policy(session, api.tenant, "subscription", tier)
    if policy is not None and not tiers.allowed_for(policy, who.roles):
        raise BadRequest(f"Tier {tier} is not permitted for the user", message="Invalid Subscription Tier")
    return policy


async def _take_place(
    repository: SubscriptionRepository, api: CatalogApi, tier: str, policy: dict[str, Any] | None
) -> None:
    """Refuses a subscription past the tier's ``subscriberCount`` for this API (0 or none: no cap)."""
    places = int((policy or {}).get("subscriberCount") or 0)
    if places <= 0:
        return
    await repository.wait_for_subscribers_of(api.id)
    if await repository.places_taken(api.id, tier) >= places:
        raise Forbidden(
            f"Tier {tier} allows {places} subscription{'s' if places != 1 else ''} to API "
            f"{api.name}-{api.version} (subscriberCount) and all are taken",
            message="Subscriber Count Reached",
        )


def _check_subscribable(api: CatalogApi) -> None:
    """An API secured by mutual TLS alone takes no subscription (as in WSO2): its calls carry a
    client certificate, never an application's credential, so a subscription would change nothing."""
    schemes = set((api.data or {}).get("securityScheme") or ())
    if "mutualssl" in schemes and not schemes & APPLICATION_SCHEMES:
        raise BadRequest(
            f"API {api.name}-{api.version} is secured by mutual TLS alone: its callers present a "
            "client certificate and need no subscription",
            message="API Not Subscribable",
        )


def _check_tenant(api: CatalogApi, app: Application) -> None:
    """An application of another tenant subscribes only where the API's availability allows it."""
    if not tenant_may_subscribe(api.data or {}, api.tenant, app.tenant):
        raise Forbidden(
            f"Applications of tenant {app.tenant} may not subscribe to API {api.name}-{api.version}",
            message="Subscription Not Allowed",
            code=900309,
        )


async def api_tenant(session: AsyncSession, sub: Subscription) -> str:
    """The tenant of the subscribed API: its calls are counted under it, not the application's."""
    api = await session.get(CatalogApi, sub.api_id)
    return api.tenant if api is not None else sub.tenant


async def visible(
    session: AsyncSession, principal: Principal, subscription_id: str
) -> tuple[Subscription, Application]:
    sub = await SubscriptionRepository(session).get(subscription_id)
    if sub is not None:
        app = await session.get(Application, sub.application_id)
        if app is not None and applications.shared_with(app, principal):
            return sub, app
    raise NotFound(f"Requested subscription with id '{subscription_id}' not found")


async def create(
    session: AsyncSession, principal: Principal, body: SubscriptionIn, requested_tenant: str | None
) -> Subscription:
    target = body.target
    if not target:
        raise BadRequest("apiId is required", message="Bad Request")
    app = await applications.visible(session, principal, body.applicationId)
    if app.status != "APPROVED":
        raise BadRequest(
            f"Application {app.name} is not approved yet; subscriptions wait for the approval",
            message="Application Not Approved",
        )
    who = await catalog.viewer(session, principal, requested_tenant)
    api = await catalog.visible_api(session, who, target)
    if api.lifecycle_status == "DEPRECATED":
        raise BadRequest(
            f"API {api.name}-{api.version} is deprecated and takes no new subscriptions",
            message="API Deprecated",
        )
    if api.lifecycle_status != "PUBLISHED":
        raise BadRequest(
            f"API {api.name}-{api.version} is {api.lifecycle_status} and cannot be subscribed to",
            message="API Not Subscribable",
        )
    _check_subscribable(api)
    _check_tenant(api, app)
    policy = await _check_tier(session, api, body.throttlingPolicy, who)
    repository = SubscriptionRepository(session)
    if await repository.find(app.id, api.id) is not None:
        raise Conflict(
            f"Application {app.name} is already subscribed to API {api.name}-{api.version}",
            message="Subscription Already Exists",
        )
    await _take_place(repository, api, body.throttlingPolicy, policy)
    now = utcnow()
    sub = Subscription(
        id=new_id(),
        tenant=app.tenant,
        application_id=app.id,
        api_id=api.id,
        throttling_policy=body.throttlingPolicy,
        requested_throttling_policy=body.throttlingPolicy,
        status="UNBLOCKED",
        created_by=principal.username,
        created_at=now,
        updated_at=now,
    )
    if await workflow_enabled(session, app.tenant, CREATION_WORKFLOW):
        sub.status = "ON_HOLD"
    await repository.add(sub)
    if sub.status == "ON_HOLD":
        await workflows.request(
            session,
            workflow_type=CREATION_WORKFLOW,
            tenant=app.tenant,
            target_id=sub.id,
            created_by=principal.username,
            description=f"Approve subscription of {app.name} to {api.name}-{api.version}",
            properties={
                "applicationName": app.name,
                "applicationId": app.id,
                "apiName": api.name,
                "apiVersion": api.version,
                "apiId": api.id,
                "apiContext": api.context,
                "apiProvider": api.provider,
                "subscriber": principal.username,
                "tierName": sub.throttling_policy,
            },
        )
    await announce_change(session, sub, "created", app)
    return sub


async def change_tier(
    session: AsyncSession,
    principal: Principal,
    subscription_id: str,
    body: SubscriptionIn,
    requested_tenant: str | None,
) -> Subscription:
    sub, app = await visible(session, principal, subscription_id)
    if body.applicationId != sub.application_id or (body.target and body.target != sub.api_id):
        raise BadRequest("A subscription's application and API cannot change")
    if sub.status in ("ON_HOLD", "REJECTED"):
        raise BadRequest(f"A subscription in state {sub.status} cannot be changed")
    who = await catalog.viewer(session, principal, requested_tenant)
    api = await catalog.visible_api(session, who, sub.api_id)
    tier = body.requestedThrottlingPolicy or body.throttlingPolicy
    policy = await _check_tier(session, api, tier, who)
    if tier != sub.throttling_policy:
        await _take_place(SubscriptionRepository(session), api, tier, policy)
    sub.throttling_policy = tier
    sub.requested_throttling_policy = tier
    sub.updated_at = utcnow()
    await session.flush()
    await announce_change(session, sub, "updated", app)
    return sub


async def delete(session: AsyncSession, principal: Principal, subscription_id: str) -> None:
    sub, app = await visible(session, principal, subscription_id)
    await announce_change(session, sub, "deleted", app)
    await SubscriptionRepository(session).delete(sub)


async def decide(session: AsyncSession, subscription_id: str, approved: bool) -> None:
    """An admin decided the AM_SUBSCRIPTION_CREATION workflow of a subscription."""
    sub = await SubscriptionRepository(session).get(subscription_id)
    if sub is None or sub.status != "ON_HOLD":
        return
    sub.status = "UNBLOCKED" if approved else "REJECTED"
    sub.updated_at = utcnow()
    await session.flush()
    await announce_change(session, sub, "updated")


async def set_block_state(session: AsyncSession, subscription_id: str, state: str) -> Subscription:
    """The publisher blocks (fully or production only) or unblocks a subscription."""
    sub = await SubscriptionRepository(session).get(subscription_id)
    if sub is None:
        raise NotFound(f"Subscription {subscription_id} not found")
    if sub.status in ("ON_HOLD", "REJECTED"):
        raise BadRequest(f"A subscription in state {sub.status} cannot be blocked or unblocked")
    if sub.status != state:
        sub.status = state
        sub.updated_at = utcnow()
        await session.flush()
        await announce_change(session, sub, "updated")
    return sub


async def remove_for_api(session: AsyncSession, api_id: str) -> None:
    """The API is gone from the publisher: its subscriptions go too."""
    repository = SubscriptionRepository(session)
    for sub in await repository.of_api(api_id):
        await announce_change(session, sub, "deleted")
        await repository.delete(sub)


async def listing(
    session: AsyncSession,
    principal: Principal,
    *,
    api_id: str | None,
    application_id: str | None,
    group_id: str | None,
) -> Sequence[Subscription]:
    repository = SubscriptionRepository(session)
    if application_id:
        app = await applications.visible(session, principal, application_id)
        subs = [s for s in await repository.of_application(app.id) if not api_id or s.api_id == api_id]
        return subs
    apps = await applications.listing(
        session, principal, query=None, group_id=group_id, sort_by="name", descending=False
    )
    ids = {app.id for app in apps}
    if api_id:
        return [s for s in await repository.of_api(api_id) if s.application_id in ids]
    found: list[Subscription] = []
    for app in apps:
        found.extend(await repository.of_application(app.id))
    return found
