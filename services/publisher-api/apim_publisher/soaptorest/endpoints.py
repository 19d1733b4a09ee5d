"""WSO2's resource policies of a SOAP-to-REST API: its generated mappings, shown and edited."""

from __future__ import annotations

from fastapi import APIRouter

from apim_common.db import SessionDep
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.soaptorest import service
from apim_publisher.soaptorest.schemas import ResourcePolicyInfo, ResourcePolicyList

router = APIRouter(tags=["API Resource Policies"])


@router.get("/apis/{apiId}/resource-policies", response_model=ResourcePolicyList)
async def get_resource_policies(
    apiId: str,
    session: SessionDep,
    principal: scopes.ApiViewOrManage,
    sequenceType: str,
    resourcePath: str | None = None,
    verb: str | None = None,
) -> ResourcePolicyList:
    api = await apis.get(session, principal, apiId)
    return service.listing(api, sequenceType, resourcePath, verb)


@router.get("/apis/{apiId}/resource-policies/{resourcePolicyId}", response_model=ResourcePolicyInfo)
async def get_resource_policy(
    apiId: str, resourcePolicyId: str, session: SessionDep, principal: scopes.ApiViewOrManage
) -> ResourcePolicyInfo:
    api = await apis.get(session, principal, apiId)
    return service.one(api, resourcePolicyId)


@router.put("/apis/{apiId}/resource-policies/{resourcePolicyId}", response_model=ResourcePolicyInfo)
async def put_resource_policy(
    apiId: str,
    resourcePolicyId: str,
    body: ResourcePolicyInfo,
    session: SessionDep,
    principal: scopes.CreatorOrManager,
) -> ResourcePolicyInfo:
    api = await apis.get(session, principal, apiId)
    return await service.update(session, principal, api, resourcePolicyId, body)
