"""Approval records: which approvals a tenant requires (``tenant-config.updated``), asking for one
(``workflow.requested``) and finding the request an answer settles. Acting on the answer is
``workflows/consumer.py``, above the domains it dispatches to; this module imports none of them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events import CloudEvent, Topic
from apim_common.security import Principal
from apim_publisher.apis.models import API
from apim_publisher.common import record, utcnow
from apim_publisher.workflows.models import TenantWorkflows, WorkflowRequest
from apim_publisher.workflows.repository import TenantWorkflowsRepository, WorkflowRequestRepository

API_STATE = "AM_API_STATE"
API_PRODUCT_STATE = "AM_API_PRODUCT_STATE"
REVISION_DEPLOYMENT = "AM_REVISION_DEPLOYMENT"


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "enabled", "approval") or "approval" in value.lower()
    if isinstance(value, dict):
        for key in ("enabled", "Enabled", "enable"):
            if key in value:
                return _flag(value[key])
        executor = value.get("executor") or value.get("Executor") or value.get("className") or ""
        return "approval" in str(executor).lower()
    return False


def enabled_workflows(config: dict[str, Any]) -> dict[str, bool]:
    """Read the ``Workflows`` section of a tenant-config document.

    Accepted shapes: ``{"AM_API_STATE": true}``, ``{"AM_API_STATE": {"enabled": true}}`` (or an
    ``executor`` naming an approval executor) and ``[{"workflowType": "AM_API_STATE", "enabled": true}]``.
    """
    section = config.get("Workflows", config.get("workflows")) or {}
    flags: dict[str, bool] = {}
    if isinstance(section, dict):
        for key, value in section.items():
            flags[str(key)] = _flag(value)
    elif isinstance(section, list):
        for item in section:
            if isinstance(item, dict):
                kind = item.get("workflowType") or item.get("type") or item.get("name")
                if kind:
                    flags[str(kind)] = _flag(item)
    return flags


async def apply_tenant_config(session: AsyncSession, event: CloudEvent) -> None:
    config = event.data.get("config") or {}
    flags = enabled_workflows(config if isinstance(config, dict) else {})
    repository = TenantWorkflowsRepository(session)
    row = await repository.get(event.tenant)
    if row is None:
        session.add(TenantWorkflows(tenant=event.tenant, enabled=flags, updated_at=utcnow()))
    else:
        row.enabled, row.updated_at = flags, utcnow()
    await session.flush()


async def approval_required(session: AsyncSession, tenant: str, workflow_type: str) -> bool:
    row = await TenantWorkflowsRepository(session).get(tenant)
    return bool(row is not None and row.enabled.get(workflow_type))


async def request(
    session: AsyncSession,
    principal: Principal,
    api: API,
    workflow_type: str,
    description: str,
    properties: dict[str, Any],
    *,
    deployment_id: str | None = None,
) -> WorkflowRequest:
    pending = WorkflowRequest(
        reference=str(uuid.uuid4()),
        tenant=api.tenant,
        workflow_type=workflow_type,
        api_id=api.id,
        deployment_id=deployment_id,
        properties={"apiId": api.id, "apiName": api.name, "apiVersion": api.version, **properties},
        created_by=principal.username,
        created_at=utcnow(),
    )
    await WorkflowRequestRepository(session).add(pending)
    data = {
        "workflowReferenceId": pending.reference,
        "workflowType": workflow_type,
        "createdBy": principal.username,
        "description": description,
        "properties": pending.properties,
    }
    await record(session, Topic.WORKFLOWS, "workflow.requested", pending.reference, data, tenant=api.tenant)
    return pending


async def pending_for(session: AsyncSession, event: CloudEvent) -> WorkflowRequest | None:
    """The open request a ``workflow.decided`` event answers; unknown, cancelled or another
    tenant's references answer nothing."""
    reference = str(event.data.get("workflowReferenceId") or "")
    pending = await WorkflowRequestRepository(session).get(reference) if reference else None
    if pending is None or pending.tenant != event.tenant:
        return None
    return pending


def approved(event: CloudEvent) -> bool:
    return str(event.data.get("status", "")).upper() == "APPROVED"


async def close(session: AsyncSession, pending: WorkflowRequest) -> None:
    """The request has been acted on; it is no longer pending."""
    await WorkflowRequestRepository(session).delete(pending)
