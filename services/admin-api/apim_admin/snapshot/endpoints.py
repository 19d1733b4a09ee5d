"""GET /internal/gateway-snapshot (service tokens only)."""

from typing import Any

from fastapi import APIRouter

from apim_admin.deny_policies import service as deny_policies
from apim_admin.deny_policies.repository import DenyPolicyRepository
from apim_admin.environments import service as environments
from apim_admin.environments.repository import EnvironmentRepository
from apim_admin.key_managers import service as key_managers
from apim_admin.throttling import service as throttling
from apim_admin.throttling.repository import ThrottlePolicyRepository
from apim_common.db import SessionDep
from apim_common.security import InternalPrincipal

router = APIRouter(prefix="/api/am/admin/v4/internal", tags=["Internal"])


@router.get("/gateway-snapshot")
async def gateway_snapshot(session: SessionDep, principal: InternalPrincipal) -> dict[str, Any]:
    policies: dict[str, list[dict[str, Any]]] = {
        "application": [],
        "subscription": [],
        "advanced": [],
        "custom": [],
    }
    for policy in await ThrottlePolicyRepository(session).every_tenant():
        policies[policy.policy_type].append({**throttling.public(policy), "tenant": policy.tenant})
    return {
        "throttlePolicies": policies,
        "denyPolicies": [
            {**deny_policies.public(p).model_dump(mode="json"), "tenant": p.tenant}
            for p in await DenyPolicyRepository(session).every_tenant()
        ],
        "keyManagers": [
            {**key_managers.public(k).model_dump(mode="json", by_alias=True), "tenant": k.tenant}
            for k in await key_managers.every_tenant(session)
        ],
        "environments": [
            {**environments.public(e).model_dump(mode="json"), "tenant": e.tenant}
            for e in await EnvironmentRepository(session).every_tenant()
        ],
    }
