from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.deny_policies.models import DenyPolicy
from apim_admin.deny_policies.repository import DenyPolicyRepository
from apim_admin.deny_policies.schemas import BlockingCondition
from apim_admin.events import announce
from apim_common.errors import Conflict, NotFound
from apim_common.events.topics import Topic


def public(policy: DenyPolicy) -> BlockingCondition:
    return BlockingCondition.model_validate(
        {
            "conditionId": policy.id,
            "conditionType": policy.condition_type,
            "conditionValue": policy.condition_value,
            "conditionStatus": policy.status,
        }
    )


async def _announce(session: AsyncSession, action: str, policy: DenyPolicy) -> None:
    data = public(policy).model_dump(mode="json")
    await announce(
        session, Topic.DENY_POLICIES, f"deny-policy.{action}", policy.id, data, tenant=policy.tenant
    )


async def list_policies(session: AsyncSession, tenant: str) -> Sequence[DenyPolicy]:
    return await DenyPolicyRepository(session).list(tenant)


async def get(session: AsyncSession, tenant: str, condition_id: str) -> DenyPolicy:
    policy = await DenyPolicyRepository(session).by_id(tenant, condition_id)
    if policy is None:
        raise NotFound(f"Deny policy {condition_id} was not found")
    return policy


async def create(session: AsyncSession, tenant: str, dto: BlockingCondition) -> DenyPolicy:
    repository = DenyPolicyRepository(session)
    key = dto.value_key()
    if await repository.by_value(tenant, dto.conditionType, key) is not None:
        raise Conflict(f"A {dto.conditionType} deny policy for {key} already exists")
    policy = await repository.add(
        DenyPolicy(
            tenant=tenant,
            condition_type=dto.conditionType,
            condition_value=dto.conditionValue,
            value_key=key,
            status=dto.conditionStatus,
        )
    )
    await _announce(session, "created", policy)
    return policy


async def set_status(session: AsyncSession, tenant: str, condition_id: str, status: bool) -> DenyPolicy:
    policy = await get(session, tenant, condition_id)
    policy.status = status
    await session.flush()
    await _announce(session, "updated", policy)
    return policy


async def delete(session: AsyncSession, tenant: str, condition_id: str) -> None:
    policy = await get(session, tenant, condition_id)
    await _announce(session, "deleted", policy)
    await DenyPolicyRepository(session).delete(policy)
