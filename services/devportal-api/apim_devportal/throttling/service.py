"""A tenant's tiers: the built-in defaults, overlaid by what the admin service announced."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import NotFound
from apim_common.events.envelope import CloudEvent
from apim_devportal.throttling.defaults import DEFAULT_TIERS
from apim_devportal.throttling.models import TierView
from apim_devportal.throttling.repository import TierRepository
from apim_devportal.throttling.schemas import ThrottlingPolicyPermissionInfo, ThrottlingPolicyPublic

LEVELS = ("application", "subscription")


async def policies(session: AsyncSession, tenant: str, level: str) -> list[dict[str, Any]]:
    rows = {row.name: row for row in await TierRepository(session).for_tenant(tenant, level)}
    result: list[dict[str, Any]] = []
    for default in DEFAULT_TIERS.get(level, []):
        row = rows.pop(default["policyName"], None)
        if row is None:
            result.append(default)
        elif not row.deleted:
            result.append(row.policy)
    result.extend(row.policy for row in rows.values() if not row.deleted)
    return result


async def policy(session: AsyncSession, tenant: str, level: str, name: str) -> dict[str, Any] | None:
    for candidate in await policies(session, tenant, level):
        if candidate.get("policyName") == name:
            return candidate
    return None


async def require(session: AsyncSession, tenant: str, level: str, name: str) -> dict[str, Any]:
    found = await policy(session, tenant, level, name)
    if found is None:
        raise NotFound(f"Throttling policy {name} of level {level} was not found")
    return found


def _limit(policy: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    limit: dict[str, Any] = policy.get("defaultLimit") or {}
    if limit.get("type") == "BANDWIDTHLIMIT":
        return "BANDWIDTHVOLUME", limit.get("bandwidth") or {}
    if limit.get("type") == "EVENTCOUNTLIMIT":
        # WSO2's DTO knows two quota types; a streaming tier's events show as its count.
        events: dict[str, Any] = limit.get("eventCount") or {}
        return "REQUESTCOUNT", {**events, "requestCount": events.get("eventCount", 0)}
    return "REQUESTCOUNT", limit.get("requestCount") or {}


# The admin's plan names as WSO2's Developer Portal shows them (``billingType``).
BILLING_TYPES = {"FIXEDRATE": "fixedPrice", "DYNAMICRATE": "dynamicRate"}
PRICE_PROPERTIES = ("fixedPrice", "pricePerRequest", "currencyType", "billingCycle")


def monetization_attributes(policy: dict[str, Any]) -> dict[str, str] | None:
    """The tier's price as WSO2's ``MonetizationInfo``; None for a free tier."""
    monetization = policy.get("monetization") or {}
    billing_type = BILLING_TYPES.get(str(monetization.get("monetizationPlan")))
    if billing_type is None:
        return None
    properties = monetization.get("properties") or {}
    return {"billingType": billing_type} | {
        k: str(properties[k]) for k in PRICE_PROPERTIES if k in properties
    }


def public(policy: dict[str, Any], level: str) -> ThrottlingPolicyPublic:
    quota_type, limit = _limit(policy)
    permissions = policy.get("permissions") or {}
    permission_type = str(permissions.get("permissionType", "")).lower()
    burst = policy.get("burstLimit") or {}
    return ThrottlingPolicyPublic(
        name=policy["policyName"],
        displayName=policy.get("displayName") or policy["policyName"],
        description=policy.get("description") or "",
        policyLevel="application" if level == "application" else "subscription",
        attributes={
            str(a.get("name")): str(a.get("value"))
            for a in policy.get("customAttributes") or []
            if isinstance(a, dict)
        },
        requestCount=int(limit.get("requestCount", limit.get("dataAmount", 0)) or 0),
        dataUnit=limit.get("dataUnit"),
        unitTime=int(limit.get("unitTime", 1) or 1),
        timeUnit=str(limit.get("timeUnit", "min")),
        rateLimitCount=int(policy.get("rateLimitCount") or burst.get("rateLimitCount") or 0),
        rateLimitTimeUnit=policy.get("rateLimitTimeUnit") or burst.get("rateLimitTimeUnit"),
        quotaPolicyType=quota_type,
        tierPlan="COMMERCIAL" if policy.get("billingPlan") == "COMMERCIAL" else "FREE",
        stopOnQuotaReach=bool(policy.get("stopOnQuotaReach", True)),
        monetizationAttributes=monetization_attributes(policy),
        throttlingPolicyPermissions=ThrottlingPolicyPermissionInfo(
            type=permission_type,
            roles=list(permissions.get("roles") or []),
        )
        if permission_type in ("allow", "deny")
        else None,
    )


def allowed_for(policy: dict[str, Any], roles: frozenset[str]) -> bool:
    """Subscription tiers may be limited to (or denied to) some roles."""
    permissions = policy.get("permissions") or {}
    kind = str(permissions.get("permissionType", "")).upper()
    listed = set(permissions.get("roles") or [])
    if kind == "ALLOW":
        return bool(listed & roles)
    if kind == "DENY":
        return not listed & roles
    return True


async def on_event(session: AsyncSession, event: CloudEvent) -> None:
    """``throttle-policy.created|updated|deleted``: keep the application and subscription tiers."""
    level = str(event.data.get("policyType", ""))
    if level not in LEVELS:
        return
    policy_data: dict[str, Any] = dict(event.data.get("policy") or {})
    name = policy_data.get("policyName")
    if not name:
        return
    repository = TierRepository(session)
    row = await repository.by_name(event.tenant, level, name)
    if row is None:
        row = TierView(
            id=str(policy_data.get("policyId") or event.subject),
            tenant=event.tenant,
            level=level,
            name=name,
            policy=policy_data,
            deleted=False,
        )
        existing = await repository.get(row.id)
        if existing is not None:  # the same policy renamed
            await repository.delete(existing)
        await repository.add(row)
    row.policy = policy_data
    row.deleted = event.type.endswith(".deleted")
    await session.flush()
