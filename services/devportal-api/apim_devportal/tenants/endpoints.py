from typing import Annotated

from fastapi import APIRouter, Query

from apim_common.db import SessionDep
from apim_common.pagination import Page, PageDep
from apim_common.security import OptionalPrincipal
from apim_devportal.tenants import service
from apim_devportal.tenants.schemas import TenantPublic

router = APIRouter(tags=["Tenants"])


@router.get("/tenants")
async def list_tenants(
    session: SessionDep,
    principal: OptionalPrincipal,
    page: PageDep,
    state: Annotated[str, Query(pattern="^(?i:active|inactive)$")] = "active",
) -> Page[TenantPublic]:
    rows = await service.tenants(session, state)
    items = [TenantPublic(domain=row.domain, status=row.status) for row in rows]
    return Page.of(
        items[page.offset : page.offset + page.limit], total=len(items), limit=page.limit, offset=page.offset
    )
