"""Applications: created by a subscriber, seen by its owner and the groups it is shared with.

Only the owner changes or deletes one; another user's application is not found (404), so that
its existence does not leak. Deleting one removes its subscriptions and its OAuth clients (the key
manager then revokes their tokens: indirect revocation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, Forbidden, NotFound
from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.events.topics import Topic
from apim_common.security import Principal
from apim_devportal.applications.models import Application
from apim_devportal.applications.repository import ApplicationRepository
from apim_devportal.applications.schemas import ApplicationIn
from apim_devportal.applications.views import public
from apim_devportal.common import groups_of, new_id, utcnow
from apim_devportal.events import announce
from apim_devportal.keys.client import KeyManagerClient
from apim_devportal.keys.events import announce_mapping
from apim_devportal.keys.repository import KeyMappingRepository
from apim_devportal.portal.attributes import validate_attributes
from apim_devportal.subscriptions import views as subscription_views
from apim_devportal.subscriptions.repository import SubscriptionRepository
from apim_devportal.tenants.service import workflow_enabled
from apim_devportal.throttling import service as tiers
from apim_devportal.workflows import service as workflows

CREATION_WORKFLOW = "AM_APPLICATION_CREATION"


def shared_with(app: Application, principal: Principal) -> bool:
    if app.tenant != principal.tenant:
        return False
    return app.owner == principal.username or bool(set(app.groups or []) & groups_of(principal))


async def visible(session: AsyncSession, principal: Principal, application_id: str) -> Application:
    app = await ApplicationRepository(session).get(application_id)
    if app is None or not shared_with(app, principal):
        raise NotFound(
            f"Requested application with id '{application_id}' not found", message="Application Not Found"
        )
    return app


async def owned(session: AsyncSession, principal: Principal, application_id: str) -> Application:
    app = await visible(session, principal, application_id)
    if app.owner != principal.username:
        raise Forbidden(f"Only the owner of application {app.name} may change it")
    return app


async def _event_data(session: AsyncSession, app: Application) -> dict[str, Any]:
    data = (await public(session, app)).model_dump(mode="json", exclude={"keys"})
    data["tenant"] = app.tenant
    return data


async def announce_change(session: AsyncSession, app: Application, action: str) -> None:
    await announce(
        session,
        Topic.APPLICATIONS,
        f"application.{action}",
        app.id,
        await _event_data(session, app),
        tenant=app.tenant,
    )


async def _check_tier(session: AsyncSession, tenant: str, name: str) -> None:
    if await tiers.policy(session, tenant, "application", name) is None:
        raise BadRequest(f"Specified throttling tier {name} is invalid", message="Invalid Throttling Tier")


async def create(
    session: AsyncSession, principal: Principal, body: ApplicationIn, attributes: Sequence[dict[str, Any]]
) -> Application:
    """Returns the new application; its status is CREATED while an approval is pending."""
    repository = ApplicationRepository(session)
    if await repository.by_name(principal.tenant, principal.username, body.name) is not None:
        raise Conflict(
            f"A duplicate application already exists by the name - {body.name}",
            message="Application Already Exists",
        )
    await _check_tier(session, principal.tenant, body.throttlingPolicy)
    now = utcnow()
    app = Application(
        id=new_id(),
        tenant=principal.tenant,
        owner=principal.username,
        name=body.name,
        throttling_policy=body.throttlingPolicy,
        description=body.description or "",
        token_type="JWT",
        status="APPROVED",
        groups=list(dict.fromkeys(body.groups)),
        attributes=validate_attributes(body.attributes, attributes),
        created_at=now,
        updated_at=now,
    )
    if await workflow_enabled(session, principal.tenant, CREATION_WORKFLOW):
        app.status = "CREATED"
    await repository.add(app)
    if app.status == "CREATED":
        await workflows.request(
            session,
            workflow_type=CREATION_WORKFLOW,
            tenant=app.tenant,
            target_id=app.id,
            created_by=principal.username,
            description=f"Approve creation of application {app.name}",
            properties={
                "applicationName": app.name,
                "applicationTier": app.throttling_policy,
                "applicationId": app.id,
                "owner": app.owner,
                "description": app.description,
            },
        )
    await announce_change(session, app, "created")
    return app


async def update(
    session: AsyncSession,
    principal: Principal,
    application_id: str,
    body: ApplicationIn,
    attributes: Sequence[dict[str, Any]],
) -> Application:
    app = await owned(session, principal, application_id)
    if body.name.lower() != app.name.lower():
        clash = await ApplicationRepository(session).by_name(app.tenant, app.owner, body.name)
        if clash is not None:
            raise Conflict(f"A duplicate application already exists by the name - {body.name}")
    if body.throttlingPolicy != app.throttling_policy:
        await _check_tier(session, app.tenant, body.throttlingPolicy)
    app.name = body.name
    app.throttling_policy = body.throttlingPolicy
    app.description = body.description or ""
    app.groups = list(dict.fromkeys(body.groups))
    app.attributes = validate_attributes(body.attributes, attributes)
    app.updated_at = utcnow()
    await session.flush()
    await announce_change(session, app, "updated")
    return app


async def decide(session: AsyncSession, application_id: str, approved: bool) -> None:
    """An admin decided the AM_APPLICATION_CREATION workflow of an application."""
    app = await ApplicationRepository(session).get(application_id)
    if app is None or app.status != "CREATED":
        return
    app.status = "APPROVED" if approved else "REJECTED"
    app.updated_at = utcnow()
    await session.flush()
    await announce_change(session, app, "updated")


async def change_owner(session: AsyncSession, tenant: str, application_id: str, owner: str) -> Application:
    """An administrator of ``tenant`` hands the application to ``owner``, a user of that tenant (the
    admin API has checked that they exist). An application of another tenant is not found."""
    repository = ApplicationRepository(session)
    app = await repository.get(application_id)
    if app is None or app.tenant != tenant:
        raise NotFound(
            f"Requested application with id '{application_id}' not found",
            message="Application Not Found",
            code=900306,
        )
    if tenant != DEFAULT_TENANT and not owner.lower().endswith(f"@{tenant.lower()}"):
        raise BadRequest(f"{owner} is not a user of tenant {tenant}", message="Invalid Owner")
    if await repository.by_name(app.tenant, owner, app.name) is not None:
        raise Conflict(f"{owner} already has an application named {app.name}")
    app.owner = owner
    app.updated_at = utcnow()
    await session.flush()
    await announce_change(session, app, "updated")
    return app


def matches(app: Application, query: str | None) -> bool:
    return not query or query.lower() in app.name.lower()


async def listing(
    session: AsyncSession,
    principal: Principal,
    *,
    query: str | None,
    group_id: str | None,
    sort_by: str,
    descending: bool,
) -> list[Application]:
    found = [
        app
        for app in await ApplicationRepository(session).of_tenant(principal.tenant)
        if shared_with(app, principal)
        and matches(app, query)
        and (not group_id or group_id in (app.groups or []))
    ]
    keys = {
        "name": lambda a: a.name.lower(),
        "throttlingPolicy": lambda a: a.throttling_policy.lower(),
        "status": lambda a: a.status,
    }
    found.sort(key=keys.get(sort_by, keys["name"]), reverse=descending)
    return found


async def delete(
    session: AsyncSession, principal: Principal, application_id: str, key_manager: KeyManagerClient
) -> None:
    """Remove the application, its subscriptions and key mappings; its OAuth clients go at the key
    manager, which revokes their tokens."""
    app = await owned(session, principal, application_id)
    await remove(session, app, key_manager)


async def remove(session: AsyncSession, app: Application, key_manager: KeyManagerClient) -> None:
    data = await _event_data(session, app)
    for sub in await SubscriptionRepository(session).of_application(app.id):
        await subscription_views.announce_change(session, sub, "deleted", app)
        await session.delete(sub)
    mappings = list(await KeyMappingRepository(session).of_application(app.id))
    for mapping in mappings:
        await announce_mapping(session, mapping, "deleted")
        await session.delete(mapping)
    # Children first: the database would cascade, and the unit of work would then miss their rows.
    await session.flush()
    await session.delete(app)
    await session.flush()
    await announce(session, Topic.APPLICATIONS, "application.deleted", app.id, data, tenant=app.tenant)
    for mapping in mappings:
        if mapping.mode == "CREATED":
            await key_manager.delete_client(mapping.consumer_key)
