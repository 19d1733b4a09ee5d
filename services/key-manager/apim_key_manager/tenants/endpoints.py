"""Internal: admin-api creates tenants here (the tenant's admin user lives in the key manager), and
activates or deactivates them (the key manager refuses an inactive tenant's tokens)."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request

from apim_common.security import InternalPrincipal
from apim_key_manager.context import KeyManagerDep
from apim_key_manager.db import SessionDep
from apim_key_manager.tenants.schemas import (
    TenantCreate,
    TenantPublic,
    TenantStatusPublic,
    TenantStatusUpdate,
)
from apim_key_manager.tenants.service import create_tenant, set_status

router = APIRouter(prefix="/api/am/keymanager/v1/internal/tenants", tags=["Internal: tenants"])


@router.post("", status_code=201, summary="Create a tenant and its admin user")
async def create(
    body: TenantCreate, session: SessionDep, km: KeyManagerDep, _: InternalPrincipal
) -> TenantPublic:
    tenant = await create_tenant(session, km.users, body)
    return TenantPublic(domain=tenant.domain, adminUsername=body.adminUsername, status=tenant.status)


@router.put("/{domain}/status", summary="Activate or deactivate a tenant")
async def update_status(
    domain: str,
    body: TenantStatusUpdate,
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    _: InternalPrincipal,
) -> TenantStatusPublic:
    tenant = await set_status(session, domain, body.status)
    # Every service and gateway refuses the tenant's tokens once the event reaches them: once the
    # session has committed (before the response), the relay sends it rather than at its next poll.
    relay = getattr(request.app.state, "outbox_relay", None)
    if relay is not None:
        background.add_task(relay.wake)
    return TenantStatusPublic(domain=tenant.domain, status=tenant.status)
