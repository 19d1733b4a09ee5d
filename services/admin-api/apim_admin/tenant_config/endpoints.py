"""GET/PUT /tenant-config and GET /tenant-config-schema."""

from typing import Any

from fastapi import APIRouter, Body

from apim_admin.scopes import AdminOnly
from apim_admin.tenant_config import service
from apim_common.db import SessionDep

router = APIRouter(prefix="/api/am/admin/v4", tags=["Tenant Config"])


@router.get("/tenant-config")
async def export_tenant_config(session: SessionDep, principal: AdminOnly) -> dict[str, Any]:
    return await service.get(session, principal.tenant)


@router.put("/tenant-config")
async def update_tenant_config(
    session: SessionDep, principal: AdminOnly, body: Any = Body(...)
) -> dict[str, Any]:
    return await service.put(session, principal.tenant, body)


@router.get("/tenant-config-schema")
async def export_tenant_config_schema(principal: AdminOnly) -> dict[str, Any]:
    return service.schema()
