"""Keeps the Publisher's copy of tiers, key managers, tenants, categories and tenant configuration
in step with the ``throttle-policies``, ``key-managers``, ``tenants`` and ``api-categories`` events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events import CloudEvent
from apim_common.repository import Repository
from apim_publisher.catalog.models import ALL_TENANTS, KnownResource

SUBSCRIPTION_TIER = "tier:subscription"
API_TIER = "tier:api"
KEY_MANAGER = "key-manager"
TENANT = "tenant"
CATEGORY = "api-category"
TENANT_CONFIG = "tenant-config"

# Admin's policy types and the Publisher's policy level for each.
_LEVELS = {"subscription": SUBSCRIPTION_TIER, "advanced": API_TIER}


def _request_tier(
    name: str, count: int, unit: str, level: str, description: str, **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "displayName": name,
        "description": description,
        "policyLevel": level,
        "defaultLimit": {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": unit, "unitTime": 1, "requestCount": count},
        },
        **extra,
    }


def _unlimited(level: str) -> dict[str, Any]:
    return _request_tier("Unlimited", 2147483647, "min", level, "Allows unlimited requests")


def _event_tier(
    name: str, count: int, unit: str, description: str, subscribers: int | None = None
) -> dict[str, Any]:
    tier: dict[str, Any] = {
        "name": name,
        "policyName": name,
        "displayName": name,
        "description": description,
        "policyLevel": "subscription",
        "defaultLimit": {
            "type": "EVENTCOUNTLIMIT",
            "eventCount": {"timeUnit": unit, "unitTime": 1, "eventCount": count},
        },
        "stopOnQuotaReach": True,
        "billingPlan": "FREE",
    }
    if subscribers is not None:
        tier["subscriberCount"] = subscribers
    return tier


# WSO2's default tiers of streaming APIs, as admin-api seeds them in every tenant.
STREAMING_SEED = [
    _event_tier("AsyncGold", 50000, "day", "Allows 50000 events per day"),
    _event_tier("AsyncSilver", 25000, "day", "Allows 25000 events per day"),
    _event_tier("AsyncBronze", 5000, "day", "Allows 5000 events per day"),
    _event_tier("AsyncUnlimited", 2147483647, "min", "Allows unlimited events"),
    _event_tier(
        "AsyncWHGold", 10000, "month", "Allows 10000 events per month and 1000 active subscriptions", 1000
    ),
    _event_tier(
        "AsyncWHSilver", 5000, "month", "Allows 5000 events per month and 500 active subscriptions", 500
    ),
    _event_tier(
        "AsyncWHBronze", 1000, "month", "Allows 1000 events per month and 500 active subscriptions", 500
    ),
]

# WSO2's default tiers, known before admin-api says anything.
SEED: list[tuple[str, dict[str, Any]]] = [
    (
        SUBSCRIPTION_TIER,
        _request_tier("Gold", 5000, "min", "subscription", "Allows 5000 requests per minute"),
    ),
    (
        SUBSCRIPTION_TIER,
        _request_tier("Silver", 2000, "min", "subscription", "Allows 2000 requests per minute"),
    ),
    (
        SUBSCRIPTION_TIER,
        _request_tier("Bronze", 1000, "min", "subscription", "Allows 1000 requests per minute"),
    ),
    (
        SUBSCRIPTION_TIER,
        _request_tier("Unauthenticated", 500, "min", "subscription", "Allows 500 requests per minute"),
    ),
    (SUBSCRIPTION_TIER, _unlimited("subscription")),
    *((SUBSCRIPTION_TIER, tier) for tier in STREAMING_SEED),
    (API_TIER, _request_tier("50KPerMin", 50000, "min", "api", "Allows 50000 requests per minute")),
    (API_TIER, _request_tier("20KPerMin", 20000, "min", "api", "Allows 20000 requests per minute")),
    (API_TIER, _request_tier("10KPerMin", 10000, "min", "api", "Allows 10000 requests per minute")),
    (API_TIER, _unlimited("api")),
    (
        KEY_MANAGER,
        {
            "id": "00000000-0000-0000-0000-00000000000a",
            "name": "Resident Key Manager",
            "type": "default",
            "displayName": "Resident Key Manager",
            "description": "This is Resident Key Manager",
            "enabled": True,
        },
    ),
]


class KnownRepository(Repository[KnownResource]):
    model = KnownResource

    async def visible(self, kind: str, tenant: str) -> Sequence[KnownResource]:
        """The tenant's rows, shadowing server-wide ones with the same key."""
        rows = await self.all(
            select(KnownResource).where(
                KnownResource.kind == kind,
                or_(KnownResource.tenant == tenant, KnownResource.tenant == ALL_TENANTS),
            )
        )
        chosen: dict[str, KnownResource] = {}
        for row in sorted(rows, key=lambda r: r.tenant != ALL_TENANTS):
            chosen[row.key] = row
        return list(chosen.values())

    async def every(self, kind: str) -> Sequence[KnownResource]:
        return await self.all(select(KnownResource).where(KnownResource.kind == kind))

    async def one(self, kind: str, tenant: str, key: str) -> KnownResource | None:
        return await self.get((kind, tenant, key))


async def seed(session: AsyncSession) -> None:
    repository = KnownRepository(session)
    for kind, data in SEED:
        key = str(data["name"])
        row = await repository.one(kind, ALL_TENANTS, key)
        if row is None:
            session.add(KnownResource(kind=kind, tenant=ALL_TENANTS, key=key, data=data))
        elif kind in _LEVELS.values() and row.data != data:
            # Server-wide default tiers follow the release; a tenant's own copy shadows them.
            row.data = data
    await session.flush()


async def _put(session: AsyncSession, kind: str, tenant: str, key: str, data: dict[str, Any] | None) -> None:
    repository = KnownRepository(session)
    row = await repository.one(kind, tenant, key)
    if data is None:
        if row is not None:
            await repository.delete(row)
        return
    if row is None:
        session.add(KnownResource(kind=kind, tenant=tenant, key=key, data=data))
    else:
        row.data = data
    await session.flush()


async def apply_event(session: AsyncSession, event: CloudEvent) -> None:
    data, tenant = event.data, event.tenant
    deleted = event.type.endswith(".deleted")
    if event.type.startswith("throttle-policy."):
        kind = _LEVELS.get(str(data.get("policyType")))
        policy = data.get("policy") or {}
        name = str(policy.get("policyName") or policy.get("name") or "")
        if kind and name:
            level = "subscription" if kind == SUBSCRIPTION_TIER else "api"
            await _put(
                session,
                kind,
                tenant,
                name,
                None if deleted else {**policy, "name": name, "policyLevel": level},
            )
    elif event.type.startswith("key-manager."):
        name = str(data.get("name") or "")
        if name:
            await _put(
                session,
                KEY_MANAGER,
                ALL_TENANTS if data.get("global") else tenant,
                name,
                None if deleted else data,
            )
    elif event.type.startswith("api-category."):
        name = str(data.get("name") or "")
        if name:
            await _put(session, CATEGORY, tenant, name, None if deleted else data)
    elif event.type in ("tenant.created", "tenant.updated"):
        domain = str(data.get("domain") or "")
        if domain:
            await _put(session, TENANT, ALL_TENANTS, domain, data)
    elif event.type == "tenant-config.updated":
        config = data.get("config")
        await _put(session, TENANT_CONFIG, tenant, "config", config if isinstance(config, dict) else {})


async def tenant_config(session: AsyncSession, tenant: str) -> dict[str, Any]:
    row = await KnownRepository(session).one(TENANT_CONFIG, tenant, "config")
    return dict(row.data) if row is not None else {}


def tier_public(data: dict[str, Any]) -> dict[str, Any]:
    """WSO2's Publisher Throttling Policy DTO from admin's policy."""
    limit = data.get("defaultLimit") or {}
    count = limit.get("requestCount") or {}
    bandwidth = limit.get("bandwidth") or {}
    quota_type = "BANDWIDTHVOLUME" if limit.get("type") == "BANDWIDTHLIMIT" else "REQUESTCOUNT"
    return {
        "name": data["name"],
        "displayName": data.get("displayName") or data["name"],
        "description": data.get("description") or "",
        "policyLevel": data.get("policyLevel"),
        "attributes": {
            a.get("name"): a.get("value") for a in data.get("customAttributes") or [] if a.get("name")
        },
        "requestCount": int(count.get("requestCount") or 0),
        "dataUnit": bandwidth.get("dataUnit"),
        "unitTime": int(count.get("unitTime") or bandwidth.get("unitTime") or 1),
        "timeUnit": count.get("timeUnit") or bandwidth.get("timeUnit") or "min",
        "rateLimitCount": int(data.get("rateLimitCount") or 0),
        "rateLimitTimeUnit": data.get("rateLimitTimeUnit"),
        "quotaPolicyType": quota_type,
        "tierPlan": data.get("billingPlan") or "FREE",
        "stopOnQuotaReach": bool(data.get("stopOnQuotaReach", True)),
        "monetizationProperties": data.get("monetization") or {},
    }


def is_streaming(data: dict[str, Any]) -> bool:
    """A tier of streaming APIs: it counts events (WebSocket frames, SSE events, WebSub deliveries)."""
    return (data.get("defaultLimit") or {}).get("type") == "EVENTCOUNTLIMIT"


def streaming_tier_public(data: dict[str, Any]) -> dict[str, Any]:
    """WSO2's Publisher ``SubscriptionPolicy``, as the streaming subscription tiers are listed."""
    keys = (
        "description",
        "defaultLimit",
        "rateLimitCount",
        "rateLimitTimeUnit",
        "subscriberCount",
        "customAttributes",
        "stopOnQuotaReach",
        "billingPlan",
    )
    name = str(data["name"])
    return {
        "policyName": name,
        "displayName": data.get("displayName") or name,
        **{k: data[k] for k in keys if data.get(k) is not None},
        "isDeployed": True,
    }
