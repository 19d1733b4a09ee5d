"""SQL for gateway policy mappings and their deployments."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from apim_common.repository import Repository
from apim_publisher.gateway_policies.models import GatewayPolicyDeployment, GatewayPolicyMapping


class MappingRepository(Repository[GatewayPolicyMapping]):
    model = GatewayPolicyMapping

    async def of_tenant(self, tenant: str) -> Sequence[GatewayPolicyMapping]:
        return await self.all(
            select(GatewayPolicyMapping)
            .where(GatewayPolicyMapping.tenant == tenant)
            .order_by(GatewayPolicyMapping.created_at)
        )


class GatewayDeploymentRepository(Repository[GatewayPolicyDeployment]):
    model = GatewayPolicyDeployment

    async def of_mapping(self, mapping_id: str) -> Sequence[GatewayPolicyDeployment]:
        return await self.all(
            select(GatewayPolicyDeployment)
            .where(GatewayPolicyDeployment.mapping_id == mapping_id)
            .order_by(GatewayPolicyDeployment.gateway_label)
        )

    async def at_label(self, tenant: str, label: str) -> GatewayPolicyDeployment | None:
        return await self.one_or_none(
            select(GatewayPolicyDeployment).where(
                GatewayPolicyDeployment.tenant == tenant, GatewayPolicyDeployment.gateway_label == label
            )
        )

    async def in_label(self, label: str) -> Sequence[GatewayPolicyDeployment]:
        return await self.all(
            select(GatewayPolicyDeployment)
            .where(GatewayPolicyDeployment.gateway_label == label)
            .order_by(GatewayPolicyDeployment.tenant, GatewayPolicyDeployment.deployed_at)
        )
