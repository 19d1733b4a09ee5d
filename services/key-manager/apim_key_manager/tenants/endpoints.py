"""Internal: admin-api creates tenants here (the tenant's admin user lives in the key manager)."""

from __future__ import annotations

from fastapi import APIRouter

from apim_common.security import InternalPrincipal
from apim_key_manager.context import KeyManagerDep
from apim_key_manager.db import SessionDep
from apim_key_manager.tenants.schemas import TenantCreate, TenantPublic
from apim_key_manager.tenants.service import create_tenant

router = APIRouter(prefix="/api/am/keymanager/v1/internal/tenants", tags=["Internal: tenants"])


@router.post("", status_code=201, summary="Create a tenant and its admin user")
async def create(
    body: TenantCreate, session: SessionDep, km: KeyManagerDep, _: InternalPrincipal
) -> TenantPublic:
    tenant = await create_tenant(session, km.users, body)
    return TenantPublic(domain=tenant.domain, adminUsername=body.adminUsername, status=tenant.status)
