"""/tenants (super tenant administrators only), /tenant-info/{username}, /custom-urls/{tenantDomain}."""

from typing import Any

from fastapi import APIRouter, Request

from apim_admin.bootstrap import seed_tenant
from apim_admin.scopes import AdminOnly, TenantInfo
from apim_admin.tenants import service
from apim_admin.tenants.schemas import (
    CustomUrlInfo,
    TenantCreate,
    TenantList,
    TenantPublic,
    TenantStatusUpdate,
)
from apim_admin.tenants.schemas import TenantInfo as TenantInfoDTO
from apim_common.db import SessionDep
from apim_common.internal_calls import call
from apim_common.pagination import PageDep
from apim_common.settings import ServiceSettings

router = APIRouter(prefix="/api/am/admin/v4", tags=["Tenants"])


@router.get("/tenants", response_model=TenantList)
async def list_tenants(session: SessionDep, principal: AdminOnly, page: PageDep) -> TenantList:
    service.only_super_tenant(principal.tenant)
    rows, total = await service.list_page(session, limit=page.limit, offset=page.offset)
    return TenantList(
        count=len(rows),
        list=[service.public(t) for t in rows],
        pagination={"offset": page.offset, "limit": page.limit, "total": total},
    )


@router.post("/tenants", status_code=201, response_model=TenantPublic)
async def add_tenant(
    body: TenantCreate, request: Request, session: SessionDep, principal: AdminOnly
) -> TenantPublic:
    service.only_super_tenant(principal.tenant)
    settings: ServiceSettings = request.app.state.settings

    async def create_admin(payload: dict[str, Any]) -> Any:
        url = f"{settings.key_manager_url.rstrip('/')}/api/am/keymanager/v1/internal/tenants"
        return await call(request, "POST", url, f"Tenant {body.domain}", json=payload)

    async def seed(session_: Any, domain: str) -> None:
        await seed_tenant(session_, domain, settings)

    return service.public(await service.create(session, body, create_admin, seed))


@router.get("/tenants/{tenantDomain}", response_model=TenantPublic)
async def get_tenant(tenantDomain: str, session: SessionDep, principal: AdminOnly) -> TenantPublic:
    service.only_super_tenant(principal.tenant)
    return service.public(await service.get(session, tenantDomain))


@router.put("/tenants/{tenantDomain}/status", response_model=TenantPublic)
async def update_tenant_status(
    tenantDomain: str, body: TenantStatusUpdate, request: Request, session: SessionDep, principal: AdminOnly
) -> TenantPublic:
    service.only_super_tenant(principal.tenant)
    settings: ServiceSettings = request.app.state.settings

    async def set_key_manager_status(domain: str, status: str) -> Any:
        url = f"{settings.key_manager_url.rstrip('/')}/api/am/keymanager/v1/internal/tenants/{domain}/status"
        return await call(request, "PUT", url, f"Tenant {domain}", json={"status": status})

    return service.public(
        await service.set_status(session, tenantDomain, body.status, set_key_manager_status)
    )


@router.get("/tenant-info/{username}", response_model=TenantInfoDTO)
async def get_tenant_info(username: str, session: SessionDep, principal: TenantInfo) -> TenantInfoDTO:
    return await service.tenant_info(session, principal.tenant, username)


@router.get("/custom-urls/{tenantDomain}", response_model=CustomUrlInfo)
async def get_custom_url_info(tenantDomain: str, session: SessionDep, principal: TenantInfo) -> CustomUrlInfo:
    return await service.custom_url(session, principal.tenant, tenantDomain)
