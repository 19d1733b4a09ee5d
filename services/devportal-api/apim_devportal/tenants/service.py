"""Tenants and their workflow switches.

The tenant-config document keeps WSO2's ``Workflows`` section; each workflow type may be keyed by
its type (``AM_APPLICATION_CREATION``) or its short name (``ApplicationCreation``), and switched
by a boolean or an object with ``enabled`` / ``Enabled``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events.envelope import DEFAULT_TENANT, CloudEvent
from apim_devportal.tenants.models import TenantView
from apim_devportal.tenants.repository import TenantRepository

_SHORT_NAMES = {
    "AM_APPLICATION_CREATION": "ApplicationCreation",
    "AM_SUBSCRIPTION_CREATION": "SubscriptionCreation",
    "AM_SUBSCRIPTION_UPDATE": "SubscriptionUpdate",
    "AM_SUBSCRIPTION_DELETION": "SubscriptionDeletion",
    "AM_APPLICATION_DELETION": "ApplicationDeletion",
}


def _switched_on(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, dict):
        for key in ("enabled", "Enabled", "enable"):
            if key in value:
                return bool(value[key])
    return False


def workflow_enabled_in(config: dict[str, Any], workflow_type: str) -> bool:
    workflows = config.get("Workflows") or config.get("workflows") or {}
    short = _SHORT_NAMES.get(workflow_type, workflow_type)
    if isinstance(workflows, list):
        for item in workflows:
            if isinstance(item, dict) and item.get("workflowType", item.get("type")) in (
                workflow_type,
                short,
            ):
                return _switched_on(item)
        return False
    if not isinstance(workflows, dict):
        return False
    for key in (workflow_type, short, short[:1].lower() + short[1:]):
        if key in workflows:
            return _switched_on(workflows[key])
    return False


async def workflow_enabled(session: AsyncSession, tenant: str, workflow_type: str) -> bool:
    row = await TenantRepository(session).get(tenant)
    return row is not None and workflow_enabled_in(row.config or {}, workflow_type)


async def tenants(session: AsyncSession, status: str | None) -> list[TenantView]:
    rows = list(await TenantRepository(session).by_status(status))
    if not any(row.domain == DEFAULT_TENANT for row in rows) and status in (None, "", "active", "ACTIVE"):
        rows.insert(0, TenantView(domain=DEFAULT_TENANT, status="ACTIVE", config={}))
    return rows


async def on_event(session: AsyncSession, event: CloudEvent) -> None:
    """``tenant.created|updated`` and ``tenant-config.updated``."""
    repository = TenantRepository(session)
    if event.type == "tenant-config.updated":
        row = await repository.get(event.tenant)
        if row is None:
            row = await repository.add(TenantView(domain=event.tenant, status="ACTIVE", config={}))
        row.config = dict(event.data.get("config") or {})
    elif event.type in ("tenant.created", "tenant.updated"):
        domain = str(event.data.get("domain") or event.tenant)
        row = await repository.get(domain)
        if row is None:
            row = await repository.add(TenantView(domain=domain, status="ACTIVE", config={}))
        row.status = str(event.data.get("status") or "ACTIVE").upper()
    await session.flush()
