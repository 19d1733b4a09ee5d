"""Gateway policy mappings: ordered request, response and fault policies every API of the tenant
runs on the gateway labels the mapping is deployed to. Deploying or undeploying reaches running
gateways as an event; nothing restarts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.events import Topic
from apim_common.security import Principal
from apim_publisher.common import record, utcnow
from apim_publisher.environments import service as environments
from apim_publisher.gateway_policies.models import GatewayPolicyDeployment, GatewayPolicyMapping
from apim_publisher.gateway_policies.repository import GatewayDeploymentRepository, MappingRepository
from apim_publisher.gateway_policies.schemas import (
    GatewayPolicyDeploymentItem,
    GatewayPolicyMappingBody,
    GatewayPolicyMappingInfo,
    GatewayPolicyMappingPublic,
)
from apim_publisher.policies import service as policies


async def labels_of(session: AsyncSession, mapping: GatewayPolicyMapping) -> list[str]:
    return [d.gateway_label for d in await GatewayDeploymentRepository(session).of_mapping(mapping.id)]


async def public(session: AsyncSession, mapping: GatewayPolicyMapping) -> GatewayPolicyMappingPublic:
    return GatewayPolicyMappingPublic.model_validate(
        {
            "id": mapping.id,
            "displayName": mapping.display_name,
            "description": mapping.description,
            "policyMapping": mapping.policy_mapping,
            "appliedGatewayLabels": await labels_of(session, mapping),
        }
    )


async def info(session: AsyncSession, mapping: GatewayPolicyMapping) -> GatewayPolicyMappingInfo:
    return GatewayPolicyMappingInfo(
        id=mapping.id,
        displayName=mapping.display_name,
        description=mapping.description,
        appliedGatewayLabels=await labels_of(session, mapping),
    )


async def get(session: AsyncSession, tenant: str, mapping_id: str) -> GatewayPolicyMapping:
    mapping = await MappingRepository(session).get(mapping_id)
    if mapping is None or mapping.tenant != tenant:
        raise NotFound(f"Gateway policy mapping '{mapping_id}' not found", message="Gateway Policy Not Found")
    return mapping


async def _resolved(session: AsyncSession, mapping: GatewayPolicyMapping) -> dict[str, list[dict[str, Any]]]:
    return await policies.resolve_flows(session, mapping.tenant, None, mapping.policy_mapping)


async def _announce(
    session: AsyncSession, mapping: GatewayPolicyMapping, label: str, type_: str, resolved: dict[str, Any]
) -> None:
    data = {"id": mapping.id, "gatewayLabel": label, "policyMapping": resolved}
    await record(session, Topic.GATEWAY_POLICIES, type_, mapping.id, data, tenant=mapping.tenant)


async def create(
    session: AsyncSession, principal: Principal, body: GatewayPolicyMappingBody
) -> GatewayPolicyMapping:
    await policies.check_mapping(session, principal.tenant, body.policyMapping)
    now = utcnow()
    mapping = GatewayPolicyMapping(
        id=str(uuid.uuid4()),
        tenant=principal.tenant,
        display_name=body.displayName,
        description=body.description,
        policy_mapping=body.policyMapping.model_dump(mode="json", exclude_none=True),
        created_at=now,
        updated_at=now,
    )
    return await MappingRepository(session).add(mapping)


async def update(
    session: AsyncSession, mapping: GatewayPolicyMapping, body: GatewayPolicyMappingBody
) -> GatewayPolicyMapping:
    """Gateways running the mapping receive the new policies at once."""
    await policies.check_mapping(session, mapping.tenant, body.policyMapping)
    mapping.display_name = body.displayName
    mapping.description = body.description
    mapping.policy_mapping = body.policyMapping.model_dump(mode="json", exclude_none=True)
    mapping.updated_at = utcnow()
    await session.flush()
    resolved = await _resolved(session, mapping)
    for label in await labels_of(session, mapping):
        await _announce(session, mapping, label, "gateway-policy.deployed", resolved)
    return mapping


async def delete(session: AsyncSession, mapping: GatewayPolicyMapping) -> None:
    labels = await labels_of(session, mapping)
    if labels:
        raise Conflict(
            f"The mapping is deployed to {', '.join(labels)}; undeploy it first",
            message="Gateway policy mapping is deployed",
        )
    await MappingRepository(session).delete(mapping)


async def deploy(
    session: AsyncSession, mapping: GatewayPolicyMapping, items: Sequence[GatewayPolicyDeploymentItem]
) -> None:
    if not items:
        raise BadRequest("Name at least one gateway label")
    repository = GatewayDeploymentRepository(session)
    resolved = await _resolved(session, mapping)
    for item in items:
        if item.mappingUUID and item.mappingUUID != mapping.id:
            raise BadRequest(
                f"mappingUUID '{item.mappingUUID}' is not the mapping '{mapping.id}' of the path"
            )
        environment, _ = await environments.resolve(session, mapping.tenant, item.gatewayLabel, None)
        current = await repository.at_label(mapping.tenant, environment.name)
        if item.gatewayDeployment:
            await policies.check_deployable(session, environment.name, resolved)
            if current is not None and current.mapping_id != mapping.id:
                raise Conflict(
                    f"Gateway '{environment.name}' already runs another policy mapping; undeploy it first",
                    message="Gateway policy already deployed",
                )
            if current is None:
                await repository.add(
                    GatewayPolicyDeployment(
                        id=str(uuid.uuid4()),
                        mapping_id=mapping.id,
                        tenant=mapping.tenant,
                        gateway_label=environment.name,
                        deployed_at=utcnow(),
                    )
                )
            await _announce(session, mapping, environment.name, "gateway-policy.deployed", resolved)
        elif current is not None and current.mapping_id == mapping.id:
            await repository.delete(current)
            await _announce(session, mapping, environment.name, "gateway-policy.undeployed", resolved)


async def deployed_to(session: AsyncSession, label: str) -> list[dict[str, Any]]:
    """What the snapshot of gateway ``label`` lists: ``{id, tenant, policyMapping}`` per deployed mapping."""
    found = []
    for deployment in await GatewayDeploymentRepository(session).in_label(label):
        mapping = await MappingRepository(session).get(deployment.mapping_id)
        if mapping is not None:
            found.append(
                {
                    "id": mapping.id,
                    "tenant": mapping.tenant,
                    "policyMapping": await _resolved(session, mapping),
                }
            )
    return found
