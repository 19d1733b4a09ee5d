"""Revisions and deployments of an API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from apim_common.db import SessionDep
from apim_common.errors import BadRequest
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.apis import views
from apim_publisher.apis.schemas import APIPublic
from apim_publisher.revisions import service
from apim_publisher.revisions.repository import DeploymentRepository, RevisionRepository
from apim_publisher.revisions.schemas import (
    APIRevision,
    APIRevisionDeployment,
    APIRevisionDeploymentList,
    APIRevisionList,
    DeploymentTarget,
    DeploymentUpdate,
    RevisionCreate,
)

router = APIRouter(tags=["API Revisions"])


def _deployed_filter(query: str | None) -> bool | None:
    if not query:
        return None
    key, _, value = query.partition(":")
    if key.strip() != "deployed" or value.strip().lower() not in ("true", "false"):
        raise BadRequest("query supports only deployed:true or deployed:false")
    return value.strip().lower() == "true"


@router.get("/apis/{apiId}/revisions", response_model=APIRevisionList)
async def list_revisions(
    apiId: str,
    session: SessionDep,
    principal: scopes.RevisionList,
    query: str | None = None,
) -> APIRevisionList:
    api = await apis.get(session, principal, apiId)
    items = await service.listing(session, api, _deployed_filter(query))
    return APIRevisionList(count=len(items), list=items)


@router.post("/apis/{apiId}/revisions", status_code=201, response_model=APIRevision)
async def create_revision(
    apiId: str, session: SessionDep, principal: scopes.RevisionWrite, body: RevisionCreate | None = None
) -> APIRevision:
    api = await apis.get(session, principal, apiId)
    revision = await service.create(session, principal, api, body.description if body else None)
    return service.public(revision)


@router.get("/apis/{apiId}/revisions/{revisionId}", response_model=APIRevision)
async def get_revision(
    apiId: str, revisionId: str, session: SessionDep, principal: scopes.RevisionRead
) -> APIRevision:
    api = await apis.get(session, principal, apiId)
    revision = await service.get(session, api, revisionId)
    return service.public(revision, await DeploymentRepository(session).of_revision(revision.id))


@router.delete("/apis/{apiId}/revisions/{revisionId}", response_model=APIRevisionList)
async def delete_revision(
    apiId: str, revisionId: str, session: SessionDep, principal: scopes.RevisionWrite
) -> APIRevisionList:
    api = await apis.get(session, principal, apiId)
    await service.delete(session, api, await service.get(session, api, revisionId))
    items = await service.listing(session, api, None)
    return APIRevisionList(count=len(items), list=items)


@router.get("/apis/{apiId}/deployments", response_model=APIRevisionDeploymentList)
async def list_deployments(
    apiId: str, session: SessionDep, principal: scopes.RevisionRead
) -> APIRevisionDeploymentList:
    api = await apis.get(session, principal, apiId)
    items = [service.public_deployment(d) for d in await DeploymentRepository(session).of_api(api.id)]
    return APIRevisionDeploymentList(count=len(items), list=items)


@router.put("/apis/{apiId}/deployments/{deploymentId}", response_model=APIRevisionDeployment)
async def update_deployment(
    apiId: str, deploymentId: str, body: DeploymentUpdate, session: SessionDep, principal: scopes.Deploy
) -> APIRevisionDeployment:
    api = await apis.get(session, principal, apiId)
    deployment = await service.update_deployment(session, api, deploymentId, body.displayOnDevportal)
    return service.public_deployment(deployment)


@router.post("/apis/{apiId}/deploy-revision", status_code=201, response_model=list[APIRevisionDeployment])
async def deploy_revision(
    apiId: str,
    session: SessionDep,
    principal: scopes.Deploy,
    body: Annotated[list[DeploymentTarget], Body()],
    revisionId: str | None = None,
) -> list[APIRevisionDeployment]:
    api = await apis.get(session, principal, apiId)
    revision = await service.get(session, api, revisionId)
    deployments = await service.deploy(session, principal, api, revision, body)
    return [service.public_deployment(d) for d in deployments]


@router.post("/apis/{apiId}/undeploy-revision", status_code=201, response_model=list[APIRevisionDeployment])
async def undeploy_revision(
    apiId: str,
    session: SessionDep,
    principal: scopes.RevisionWrite,
    body: Annotated[list[DeploymentTarget] | None, Body()] = None,
    revisionId: str | None = None,
    revisionNumber: str | None = None,
    allEnvironments: bool = False,
) -> list[APIRevisionDeployment]:
    api = await apis.get(session, principal, apiId)
    if not revisionId and revisionNumber and revisionNumber.isdigit():
        by_number = await RevisionRepository(session).of_api_by_number(api.id, int(revisionNumber))
        revisionId = by_number.id if by_number else revisionNumber
    revision = await service.get(session, api, revisionId)
    await service.undeploy(session, api, revision, body or [], allEnvironments)
    return [service.public_deployment(d) for d in await DeploymentRepository(session).of_api(api.id)]


@router.post("/apis/{apiId}/restore-revision", status_code=201, response_model=APIPublic)
async def restore_revision(
    apiId: str,
    session: SessionDep,
    principal: scopes.Deploy,
    revisionId: Annotated[str | None, Query()] = None,
) -> APIPublic:
    api = await apis.get(session, principal, apiId)
    revision = await service.get(session, api, revisionId)
    return views.public(await service.restore(session, principal, api, revision))


@router.delete("/apis/{apiId}/cancel-revision-workflow/{revisionId}/{envName}", status_code=200)
async def cancel_revision_workflow(
    apiId: str,
    revisionId: str,
    envName: str,
    session: SessionDep,
    principal: scopes.Deploy,
) -> dict[str, str]:
    api = await apis.get(session, principal, apiId)
    await service.cancel(session, api, await service.get(session, api, revisionId), envName)
    return {"status": "CANCELLED", "revisionId": revisionId, "environment": envName}
