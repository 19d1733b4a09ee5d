"""Keeps the usage read model in step with the publisher's and devportal's events."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.usage.models import KnownApi, KnownApplication, KnownKeyMapping, as_list
from apim_admin.usage.repository import (
    KnownApiRepository,
    KnownApplicationRepository,
    KnownKeyMappingRepository,
    PolicyReferenceRepository,
)
from apim_common.events.envelope import CloudEvent

TOPICS = ("apis", "applications", "subscriptions", "keys")


def _api_refs(api: dict[str, Any]) -> list[tuple[str, str]]:
    refs = [("subscription", name) for name in as_list(api.get("policies"))]
    if api.get("apiThrottlingPolicy"):
        refs.append(("advanced", str(api["apiThrottlingPolicy"])))
    for operation in api.get("operations") or []:
        if isinstance(operation, dict) and operation.get("throttlingPolicy"):
            refs.append(("advanced", str(operation["throttlingPolicy"])))
    return refs


async def _on_api(session: AsyncSession, event: CloudEvent) -> None:
    data = event.data
    api: dict[str, Any] = data["api"] if isinstance(data.get("api"), dict) else data
    api_id = str(api.get("id") or data.get("apiId") or event.subject)
    refs = PolicyReferenceRepository(session)
    apis = KnownApiRepository(session)
    known = await apis.get(api_id)
    if event.type == "api.deleted":
        await refs.replace(event.tenant, "api", api_id, [])
        if known is not None:
            await apis.delete(known)
        return
    if "name" not in api:  # a lifecycle change without the API: only the state moves
        if known is not None and data.get("state"):
            known.status = str(data["state"])
        return
    await refs.replace(event.tenant, "api", api_id, _api_refs(api))
    if known is None:
        known = KnownApi(id=api_id, tenant=event.tenant)
        session.add(known)
    known.name = str(api.get("name", ""))
    known.version = str(api.get("version", ""))
    known.context = str(api.get("context", ""))
    known.provider = str(api.get("provider", ""))
    known.status = str(data.get("state") or api.get("lifeCycleStatus") or "CREATED")
    known.type = str(api.get("type", "HTTP"))
    known.key_managers = as_list(api.get("keyManagers")) or ["all"]
    known.categories = as_list(api.get("categories"))
    await session.flush()


async def _on_application(session: AsyncSession, event: CloudEvent) -> None:
    app = event.data
    app_id = str(app.get("applicationId") or event.subject)
    refs = PolicyReferenceRepository(session)
    apps = KnownApplicationRepository(session)
    known = await apps.get(app_id)
    if event.type == "application.deleted":
        await refs.replace(event.tenant, "application", app_id, [])
        if known is not None:
            await apps.delete(known)
        return
    policy = app.get("throttlingPolicy")
    await refs.replace(event.tenant, "application", app_id, [("application", str(policy))] if policy else [])
    if known is None:
        known = KnownApplication(id=app_id, tenant=event.tenant)
        session.add(known)
    known.name = str(app.get("name", ""))
    known.owner = str(app.get("owner", ""))
    await session.flush()


async def _on_subscription(session: AsyncSession, event: CloudEvent) -> None:
    sub = event.data
    sub_id = str(sub.get("subscriptionId") or event.subject)
    names = (
        []
        if event.type == "subscription.deleted"
        else [str(sub[k]) for k in ("throttlingPolicy", "requestedThrottlingPolicy") if sub.get(k)]
    )
    await PolicyReferenceRepository(session).replace(
        event.tenant, "subscription", sub_id, [("subscription", n) for n in names]
    )


async def _on_key_mapping(session: AsyncSession, event: CloudEvent) -> None:
    data = event.data
    ident = (str(data.get("applicationId")), str(data.get("keyType")), str(data.get("keyManager")))
    mappings = KnownKeyMappingRepository(session)
    known = await mappings.get(ident)
    if event.type == "key-mapping.deleted":
        if known is not None:
            await mappings.delete(known)
    elif known is None:
        await mappings.add(
            KnownKeyMapping(
                application_id=ident[0], key_type=ident[1], key_manager=ident[2], tenant=event.tenant
            )
        )


async def apply_event(session: AsyncSession, event: CloudEvent) -> None:
    """One event of the apis, applications, subscriptions or keys topics."""
    kind = event.type.split(".", 1)[0]
    if kind == "api":
        await _on_api(session, event)
    elif kind == "application":
        await _on_application(session, event)
    elif kind == "subscription":
        await _on_subscription(session, event)
    elif kind == "key-mapping":
        await _on_key_mapping(session, event)
