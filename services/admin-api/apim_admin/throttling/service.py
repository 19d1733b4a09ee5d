"""Throttling policies: create, change, delete (refused while in use), search, export and import."""

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.events import announce
from apim_admin.throttling.defaults import DEFAULT_POLICIES, STREAMING_SUBSCRIPTION_POLICIES
from apim_admin.throttling.models import ThrottlePolicy
from apim_admin.throttling.repository import ThrottlePolicyRepository
from apim_admin.throttling.schemas import SCHEMAS, TYPE_NAMES, PolicyBase, ThrottlePolicyDetails
from apim_admin.usage.repository import PolicyReferenceRepository
from apim_common.errors import BadRequest, Conflict, ErrorListItem, NotFound
from apim_common.events.topics import Topic

# WSO2's short names (apictl, search queries) next to the REST path names.
ALIASES = {"app": "application", "sub": "subscription", "api": "advanced", "global": "custom"}
ALIASES.update({t: t for t in SCHEMAS})


def public(policy: ThrottlePolicy) -> dict[str, Any]:
    return {**policy.body, "policyId": policy.id, "type": TYPE_NAMES[policy.policy_type], "isDeployed": True}


def _kind(policy_type: str) -> str:
    return "Custom rule" if policy_type == "custom" else f"{policy_type.capitalize()} policy"


async def _announce(session: AsyncSession, action: str, policy: ThrottlePolicy) -> None:
    await announce(
        session,
        Topic.THROTTLE_POLICIES,
        f"throttle-policy.{action}",
        policy.id,
        {"policyType": policy.policy_type, "policy": public(policy)},
        tenant=policy.tenant,
    )


def _body(dto: PolicyBase) -> dict[str, Any]:
    body = dto.model_dump(mode="json", exclude={"policyId", "type", "isDeployed"}, exclude_none=True)
    body.setdefault("displayName", dto.policyName)
    return body


async def get(session: AsyncSession, tenant: str, policy_type: str, policy_id: str) -> ThrottlePolicy:
    policy = await ThrottlePolicyRepository(session).by_id(tenant, policy_type, policy_id)
    if policy is None:
        raise NotFound(f"{_kind(policy_type)} {policy_id} was not found")
    return policy


async def list_policies(session: AsyncSession, tenant: str, policy_type: str) -> Sequence[ThrottlePolicy]:
    return await ThrottlePolicyRepository(session).list(tenant, policy_type)


async def create(session: AsyncSession, tenant: str, policy_type: str, dto: PolicyBase) -> ThrottlePolicy:
    repository = ThrottlePolicyRepository(session)
    if await repository.by_name(tenant, policy_type, dto.policyName) is not None:
        raise Conflict(f"{_kind(policy_type)} {dto.policyName} already exists")
    policy = await repository.add(
        ThrottlePolicy(tenant=tenant, policy_type=policy_type, name=dto.policyName, body=_body(dto))
    )
    await _announce(session, "created", policy)
    return policy


async def update(
    session: AsyncSession, tenant: str, policy_type: str, policy_id: str, dto: PolicyBase
) -> ThrottlePolicy:
    policy = await get(session, tenant, policy_type, policy_id)
    if dto.policyName != policy.name:
        raise BadRequest("policyName cannot be changed", message="Policy name mismatch")
    policy.body = _body(dto)
    await session.flush()
    await _announce(session, "updated", policy)
    return policy


async def delete(session: AsyncSession, tenant: str, policy_type: str, policy_id: str) -> None:
    policy = await get(session, tenant, policy_type, policy_id)
    users = await PolicyReferenceRepository(session).count_users(tenant, policy_type, policy.name)
    if users:
        raise Conflict(
            f"{_kind(policy_type)} {policy.name} is used by {users} API(s), application(s) or subscriptions",
            message="Policy in use",
        )
    await _announce(session, "deleted", policy)
    await ThrottlePolicyRepository(session).delete(policy)


def _matches(policy: ThrottlePolicy, terms: dict[str, str]) -> bool:
    wanted = terms.get("type")
    if wanted is not None and ALIASES.get(wanted.lower()) != policy.policy_type:
        return False
    name = terms.get("name", "").lower()
    return name in policy.name.lower() or name in str(policy.body.get("displayName", "")).lower()


async def search(session: AsyncSession, tenant: str, query: str) -> list[ThrottlePolicyDetails]:
    """``query`` is WSO2's ``type:sub name:Gold`` form; a bare word matches names."""
    terms: dict[str, str] = {}
    for token in query.split():
        key, sep, value = token.partition(":")
        if sep:
            terms[key.lower()] = value
        else:
            terms["name"] = f"{terms.get('name', '')}{token}"
    rows = await ThrottlePolicyRepository(session).list(tenant)
    return [
        ThrottlePolicyDetails(
            uuid=p.id,
            policyName=p.name,
            displayName=p.body.get("displayName"),
            description=p.body.get("description"),
            type=TYPE_NAMES[p.policy_type],
        )
        for p in rows
        if _matches(p, terms)
    ]


def resolve_type(value: str) -> str:
    policy_type = ALIASES.get(value.lower()) if value else None
    if policy_type is None:
        raise BadRequest(f"unknown policy type {value!r}; use one of {', '.join(sorted(SCHEMAS))}")
    return policy_type


async def find_for_export(
    session: AsyncSession, tenant: str, policy_id: str | None, name: str | None, type_: str | None
) -> ThrottlePolicy:
    repository = ThrottlePolicyRepository(session)
    types = [resolve_type(type_)] if type_ else list(SCHEMAS)
    for policy_type in types:
        if policy_id:
            found = await repository.by_id(tenant, policy_type, policy_id)
        elif name:
            found = await repository.by_name(tenant, policy_type, name)
        else:
            raise BadRequest("give policyId or name")
        if found is not None:
            return found
    raise NotFound(f"no throttling policy matches {policy_id or name!r}")


async def import_policy(
    session: AsyncSession, tenant: str, document: dict[str, Any], overwrite: bool
) -> ThrottlePolicy:
    policy_type = resolve_type(str(document.get("subtype", "")))
    try:
        dto = SCHEMAS[policy_type].model_validate(document.get("data") or {})
    except ValidationError as exc:
        errors = [
            ErrorListItem(code="400", message=".".join(map(str, e["loc"])), description=e["msg"])
            for e in exc.errors()
        ]
        raise BadRequest("the exported policy is not valid", errors=errors) from exc
    existing = await ThrottlePolicyRepository(session).by_name(tenant, policy_type, dto.policyName)
    if existing is None:
        return await create(session, tenant, policy_type, dto)
    if not overwrite:
        raise Conflict(f"{_kind(policy_type)} {dto.policyName} already exists; import with overwrite=true")
    return await update(session, tenant, policy_type, existing.id, dto)


async def seed(session: AsyncSession, tenant: str) -> None:
    """Make WSO2's default tiers once per tenant; existing ones are left as the admin set them."""
    repository = ThrottlePolicyRepository(session)
    for policy_type, policies in DEFAULT_POLICIES.items():
        for body in policies:
            if await repository.by_name(tenant, policy_type, body["policyName"]) is None:
                dto = SCHEMAS[policy_type].model_validate(body)
                await repository.add(
                    ThrottlePolicy(
                        tenant=tenant, policy_type=policy_type, name=dto.policyName, body=_body(dto)
                    )
                )
    # Stored as WSO2 defines them, not through the write schema: they are the platform's own.
    for body in STREAMING_SUBSCRIPTION_POLICIES:
        if await repository.by_name(tenant, "subscription", body["policyName"]) is None:
            await repository.add(
                ThrottlePolicy(tenant=tenant, policy_type="subscription", name=body["policyName"], body=body)
            )
