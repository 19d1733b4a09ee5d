from typing import Annotated

from fastapi import APIRouter, Depends, Request

from apim_common.db import SessionDep
from apim_common.security import Principal, require_scopes
from apim_devportal.common import RequestedTenant, catalog_tenant, roles_of
from apim_devportal.key_managers import service
from apim_devportal.key_managers.schemas import KeyManagerList

router = APIRouter(tags=["Key Managers (Collection)"])


@router.get("/key-managers")
async def list_key_managers(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scopes("apim:subscribe"))],
    tenant: RequestedTenant,
) -> KeyManagerList:
    domain = catalog_tenant(principal, tenant)
    roles = roles_of(principal) if domain == principal.tenant else frozenset()
    found = await service.visible(session, domain, roles, request.app.state.settings.token_issuer)
    items = [service.public(data) for data in found]
    return KeyManagerList(count=len(items), list=items)
