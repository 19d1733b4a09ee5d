"""``/gateway-policies``: global policy mappings and their deployment to gateway labels (4.3)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from apim_common.db import SessionDep
from apim_common.pagination import Page, PageDep
from apim_publisher import scopes
from apim_publisher.gateway_policies import service
from apim_publisher.gateway_policies.repository import MappingRepository
from apim_publisher.gateway_policies.schemas import (
    GatewayPolicyDeploymentItem,
    GatewayPolicyMappingBody,
    GatewayPolicyMappingInfo,
    GatewayPolicyMappingPublic,
)

router = APIRouter(tags=["Gateway Policies"])


@router.get("/gateway-policies", response_model=Page[GatewayPolicyMappingInfo])
async def list_mappings(
    request: Request, session: SessionDep, principal: scopes.GatewayPolicyRead, page: PageDep
) -> Page[GatewayPolicyMappingInfo]:
    mappings = list(await MappingRepository(session).of_tenant(principal.tenant))
    window = [await service.info(session, m) for m in mappings[page.offset : page.offset + page.limit]]
    return Page[GatewayPolicyMappingInfo].of(
        window, total=len(mappings), limit=page.limit, offset=page.offset, path=request.url.path
    )


@router.post("/gateway-policies", status_code=201, response_model=GatewayPolicyMappingPublic)
async def create_mapping(
    body: GatewayPolicyMappingBody,
    response: Response,
    session: SessionDep,
    principal: scopes.GatewayPolicyManage,
) -> GatewayPolicyMappingPublic:
    mapping = await service.create(session, principal, body)
    response.headers["Location"] = f"/api/am/publisher/v4/gateway-policies/{mapping.id}"
    return await service.public(session, mapping)


@router.get("/gateway-policies/{gatewayPolicyMappingId}", response_model=GatewayPolicyMappingPublic)
async def get_mapping(
    gatewayPolicyMappingId: str, session: SessionDep, principal: scopes.GatewayPolicyRead
) -> GatewayPolicyMappingPublic:
    return await service.public(session, await service.get(session, principal.tenant, gatewayPolicyMappingId))


@router.put("/gateway-policies/{gatewayPolicyMappingId}", response_model=GatewayPolicyMappingPublic)
async def update_mapping(
    gatewayPolicyMappingId: str,
    body: GatewayPolicyMappingBody,
    session: SessionDep,
    principal: scopes.GatewayPolicyManage,
) -> GatewayPolicyMappingPublic:
    mapping = await service.get(session, principal.tenant, gatewayPolicyMappingId)
    return await service.public(session, await service.update(session, mapping, body))


@router.delete("/gateway-policies/{gatewayPolicyMappingId}", status_code=200)
async def delete_mapping(
    gatewayPolicyMappingId: str, session: SessionDep, principal: scopes.GatewayPolicyManage
) -> Response:
    await service.delete(session, await service.get(session, principal.tenant, gatewayPolicyMappingId))
    return Response(status_code=200)


@router.post(
    "/gateway-policies/{gatewayPolicyMappingId}/deploy", response_model=list[GatewayPolicyDeploymentItem]
)
async def deploy_mapping(
    gatewayPolicyMappingId: str,
    body: Annotated[list[GatewayPolicyDeploymentItem], Body()],
    session: SessionDep,
    principal: scopes.GatewayPolicyManage,
) -> list[GatewayPolicyDeploymentItem]:
    mapping = await service.get(session, principal.tenant, gatewayPolicyMappingId)
    await service.deploy(session, mapping, body)
    return [item.model_copy(update={"mappingUUID": mapping.id}) for item in body]
