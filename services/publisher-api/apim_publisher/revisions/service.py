"""Revisions are immutable snapshots; a deployment puts one in force on a gateway environment.

At most five revisions per API; one revision per environment at a time. With the tenant's
AM_REVISION_DEPLOYMENT approval on, a deployment waits as CREATED and nothing reaches the gateways
until it is approved.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.events import Topic
from apim_common.events.schemas import DeploymentData
from apim_common.security import Principal
from apim_publisher.apis import aggregate
from apim_publisher.apis import service as apis
from apim_publisher.apis.models import API, PRODUCT_TYPE
from apim_publisher.apis.repository import APIRepository
from apim_publisher.common import iso, record, utcnow
from apim_publisher.environments import service as environments
from apim_publisher.policies import service as policies
from apim_publisher.products import service as products
from apim_publisher.revisions.models import Deployment, Revision
from apim_publisher.revisions.repository import DeploymentRepository, RevisionRepository
from apim_publisher.revisions.schemas import (
    APIRevision,
    APIRevisionDeployment,
    DeploymentTarget,
    RevisionAPIInfo,
)
from apim_publisher.workflows import service as workflows
from apim_publisher.workflows.models import WorkflowRequest
from apim_publisher.workflows.repository import WorkflowRequestRepository

MAX_REVISIONS = 5
MAX_REVISIONS_CODE = 900351


def display_name(revision: Revision) -> str:
    return f"Revision {revision.number}"


def public_deployment(deployment: Deployment) -> APIRevisionDeployment:
    return APIRevisionDeployment(
        revisionUuid=deployment.revision_id,
        name=deployment.environment,
        vhost=deployment.vhost,
        status=deployment.status,
        displayOnDevportal=deployment.display_on_devportal,
        deployedTime=iso(deployment.deployed_at),
        successDeployedTime=iso(deployment.success_deployed_at),
    )


def public(revision: Revision, deployments: Sequence[Deployment] = ()) -> APIRevision:
    return APIRevision(
        id=revision.id,
        displayName=display_name(revision),
        description=revision.description,
        createdTime=iso(revision.created_at),
        apiInfo=RevisionAPIInfo(id=revision.api_id),
        deploymentInfo=[public_deployment(d) for d in deployments if d.revision_id == revision.id],
    )


async def get(session: AsyncSession, api: API, revision_id: str | None) -> Revision:
    if not revision_id:
        raise BadRequest("Revision Id is not provided")
    revision = await RevisionRepository(session).of_api_by_id(api.id, revision_id)
    if revision is None:
        raise NotFound(f"Revision '{revision_id}' of API '{api.id}' not found", message="Revision Not Found")
    return revision


async def create(session: AsyncSession, principal: Principal, api: API, description: str | None) -> Revision:
    repository = RevisionRepository(session)
    if await repository.count(api.id) >= MAX_REVISIONS:
        raise BadRequest(
            f"Maximum number of revisions per API has reached ({MAX_REVISIONS}); delete one first",
            message="Maximum number of revisions per API has reached",
            code=MAX_REVISIONS_CODE,
        )
    api.revision_counter += 1
    revision = Revision(
        id=str(uuid.uuid4()),
        api_id=api.id,
        tenant=api.tenant,
        number=api.revision_counter,
        description=description,
        snapshot=await snapshots_of(api).take(session, api),
        created_at=utcnow(),
    )
    await repository.add(revision)
    await record(
        session,
        Topic.APIS,
        "revision.created",
        api.id,
        {"apiId": api.id, **public(revision).model_dump(mode="json")},
        tenant=api.tenant,
    )
    return revision


@dataclass(frozen=True, slots=True)
class Snapshots:
    """How a revision of one kind of row (an API, a product) is taken, and the working copy's
    ``spec`` it gives back when restored."""

    take: Callable[[AsyncSession, API], Awaitable[dict[str, Any]]]
    spec_of: Callable[[dict[str, Any]], dict[str, Any]]


API_SNAPSHOTS = Snapshots(take=apis.snapshot, spec_of=apis.restore_fields)
SNAPSHOTS: dict[str, Snapshots] = {
    PRODUCT_TYPE: Snapshots(take=products.snapshot, spec_of=products.restore_fields)
}


def snapshots_of(api: API) -> Snapshots:
    return SNAPSHOTS.get(api.type, API_SNAPSHOTS)


async def listing(session: AsyncSession, api: API, deployed: bool | None) -> list[APIRevision]:
    deployments = await DeploymentRepository(session).of_api(api.id)
    deployed_ids = {d.revision_id for d in deployments if d.status == "APPROVED"}
    return [
        public(r, deployments)
        for r in await RevisionRepository(session).of_api(api.id)
        if deployed is None or (r.id in deployed_ids) == deployed
    ]


async def delete(session: AsyncSession, api: API, revision: Revision) -> None:
    if any(d.status != "REJECTED" for d in await DeploymentRepository(session).of_revision(revision.id)):
        raise BadRequest(
            f"{display_name(revision)} is deployed or waiting for deployment; undeploy it first",
            message="Cannot delete a deployed revision",
        )
    await RevisionRepository(session).delete(revision)
    await record(
        session,
        Topic.APIS,
        "revision.deleted",
        api.id,
        {"apiId": api.id, "id": revision.id, "displayName": display_name(revision)},
        tenant=api.tenant,
    )


def _deployment_event(api: API, deployment: Deployment) -> dict[str, Any]:
    return DeploymentData(
        apiId=api.id,
        revisionId=deployment.revision_id,
        environment=deployment.environment,
        vhost=deployment.vhost,
        context=api.context,
        version=api.version,
    ).model_dump(mode="json")


async def _put_in_force(session: AsyncSession, api: API, deployment: Deployment) -> None:
    """The deployment replaces whatever revision ran in its environment; gateways hear of it."""
    repository = DeploymentRepository(session)
    for other in await repository.approved_for_api(api.id):
        if other.environment == deployment.environment and other.id != deployment.id:
            await repository.delete(other)
    deployment.status = "APPROVED"
    deployment.success_deployed_at = utcnow()
    await session.flush()
    await record(
        session,
        Topic.DEPLOYMENTS,
        "deployment.deployed",
        api.id,
        _deployment_event(api, deployment),
        tenant=api.tenant,
    )


async def deploy(
    session: AsyncSession, principal: Principal, api: API, revision: Revision, targets: list[DeploymentTarget]
) -> list[Deployment]:
    if api.lifecycle_status == "RETIRED":
        raise BadRequest("A retired API cannot be deployed", message="Cannot deploy a retired API")
    if not targets:
        raise BadRequest("Name at least one gateway environment to deploy to")
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise BadRequest("An environment may receive one revision at a time; it is named twice")
    needs_approval = await workflows.approval_required(session, api.tenant, workflows.REVISION_DEPLOYMENT)
    repository = DeploymentRepository(session)
    existing = await repository.of_api(api.id)
    created: list[Deployment] = []
    for target in targets:
        environment, vhost = await environments.resolve(session, api.tenant, target.name, target.vhost)
        await policies.check_deployable(session, environment.name, revision.snapshot)
        if needs_approval and any(
            d.environment == environment.name and d.status == "CREATED" for d in existing
        ):
            raise Conflict(
                f"A deployment to '{environment.name}' is already waiting for approval; cancel it first",
                message="Deployment pending approval",
            )
        deployment = Deployment(
            id=str(uuid.uuid4()),
            api_id=api.id,
            revision_id=revision.id,
            tenant=api.tenant,
            environment=environment.name,
            vhost=vhost,
            display_on_devportal=target.displayOnDevportal,
            status="CREATED",
            deployed_at=utcnow(),
        )
        await repository.add(deployment)
        if needs_approval:
            pending = await workflows.request(
                session,
                principal,
                api,
                workflows.REVISION_DEPLOYMENT,
                f"Deploy {display_name(revision)} of {api.name} {api.version} to {environment.name}",
                {
                    "revisionId": revision.id,
                    "revisionNumber": revision.number,
                    "environment": environment.name,
                    "vhost": vhost,
                    "apiContext": api.context,
                    "apiProvider": api.provider,
                },
                deployment_id=deployment.id,
            )
            deployment.workflow_reference = pending.reference
        else:
            await _put_in_force(session, api, deployment)
        created.append(deployment)
    return created


async def _undeploy(session: AsyncSession, api: API, deployment: Deployment) -> None:
    was_in_force = deployment.status == "APPROVED"
    await DeploymentRepository(session).delete(deployment)
    if was_in_force:
        await record(
            session,
            Topic.DEPLOYMENTS,
            "deployment.undeployed",
            api.id,
            _deployment_event(api, deployment),
            tenant=api.tenant,
        )


async def undeploy(
    session: AsyncSession,
    api: API,
    revision: Revision,
    targets: list[DeploymentTarget],
    all_environments: bool,
) -> None:
    wanted = {t.name for t in targets}
    if not wanted and not all_environments:
        raise BadRequest("Name the environments to undeploy from, or set allEnvironments=true")
    for deployment in await DeploymentRepository(session).of_revision(revision.id):
        if deployment.status == "APPROVED" and (all_environments or deployment.environment in wanted):
            await _undeploy(session, api, deployment)


async def undeploy_everywhere(session: AsyncSession, api: API) -> None:
    for deployment in await DeploymentRepository(session).of_api(api.id):
        await _undeploy(session, api, deployment)


async def delete_api(session: AsyncSession, api: API) -> None:
    """An API or product leaves every gateway, then the platform."""
    await undeploy_everywhere(session, api)
    await apis.delete(session, api)


async def restore(session: AsyncSession, principal: Principal, api: API, revision: Revision) -> API:
    """The working copy becomes what the revision holds again."""
    snapshot = dict(revision.snapshot["api"])
    api.spec = snapshots_of(api).spec_of(revision.snapshot)
    api.is_default_version = bool(snapshot.get("isDefaultVersion"))
    api.definition = revision.snapshot.get("definition")
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return api


async def cancel(session: AsyncSession, api: API, revision: Revision, environment: str) -> None:
    for deployment in await DeploymentRepository(session).of_revision(revision.id):
        if deployment.environment == environment and deployment.status == "CREATED":
            pending = await WorkflowRequestRepository(session).for_deployment(deployment.id)
            if pending is not None:
                await WorkflowRequestRepository(session).delete(pending)
            await DeploymentRepository(session).delete(deployment)
            return
    raise NotFound(
        f"No deployment of {display_name(revision)} to '{environment}' is waiting for approval",
        message="Pending deployment not found",
    )


async def on_decision(session: AsyncSession, pending: WorkflowRequest, approved: bool) -> None:
    deployment = (
        await DeploymentRepository(session).get(pending.deployment_id) if pending.deployment_id else None
    )
    api = await APIRepository(session).get(pending.api_id)
    if deployment is None or api is None or deployment.status != "CREATED":
        return
    if approved and api.lifecycle_status != "RETIRED":
        await _put_in_force(session, api, deployment)
    else:
        deployment.status = "REJECTED"
        await session.flush()


def environment_of(deployment_id: str) -> str:
    """WSO2 names a deployment by its environment, base64url-encoded; a plain name is accepted too."""
    try:
        padded = deployment_id + "=" * (-len(deployment_id) % 4)
        decoded = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return deployment_id
    return decoded if decoded.isprintable() and decoded else deployment_id


async def update_deployment(
    session: AsyncSession, api: API, deployment_id: str, display_on_devportal: bool
) -> Deployment:
    names = {deployment_id, environment_of(deployment_id)}
    for deployment in await DeploymentRepository(session).of_api(api.id):
        if deployment.environment in names and deployment.status != "REJECTED":
            deployment.display_on_devportal = display_on_devportal
            await session.flush()
            await aggregate.announce(session, api, "api.updated")
            return deployment
    raise NotFound(f"'{api.name}' has no deployment '{deployment_id}'", message="Deployment Not Found")
