from typing import Annotated, Literal

from fastapi import APIRouter, Path

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.pagination import Page, PageDep
from apim_common.security import OptionalPrincipal
from apim_devportal.common import RequestedTenant, catalog_tenant, roles_of
from apim_devportal.throttling import service
from apim_devportal.throttling.schemas import ThrottlingPolicyPublic

router = APIRouter(tags=["Throttling Policies"])

Level = Annotated[Literal["application", "subscription"], Path()]


@router.get("/throttling-policies/{policyLevel}")
async def list_policies(
    policyLevel: Level,
    session: SessionDep,
    principal: OptionalPrincipal,
    page: PageDep,
    tenant: RequestedTenant,
) -> Page[ThrottlingPolicyPublic]:
    domain = catalog_tenant(principal, tenant)
    roles = roles_of(principal)
    items = [
        service.public(p, policyLevel)
        for p in await service.policies(session, domain, policyLevel)
        if policyLevel == "application" or service.allowed_for(p, roles)
    ]
    return Page.of(
        items[page.offset : page.offset + page.limit], total=len(items), limit=page.limit, offset=page.offset
    )


@router.get("/throttling-policies/{policyLevel}/{policyId}")
async def get_policy(
    policyLevel: Level,
    policyId: str,
    session: SessionDep,
    principal: OptionalPrincipal,
    tenant: RequestedTenant,
) -> ThrottlingPolicyPublic:
    domain = catalog_tenant(principal, tenant)
    found = await service.policy(session, domain, policyLevel, policyId)
    if found is None:
        raise NotFound(f"Throttling policy {policyId} was not found")
    return service.public(found, policyLevel)
