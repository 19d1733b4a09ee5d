"""Every frame, either way, is one event on the connection's tiers (``EVENTCOUNTLIMIT``).

The counters are those of HTTP requests, at the same keys and through the same limiter: exact
in one process (``LocalLimiter``) or across gateways (throttle-sync's leases). Levels, as WSO2
throttles a frame: the API's tier, the topic's, the subscription's and the application's.
"""

from __future__ import annotations

from apim_gateway.context import AuthContext
from apim_gateway.ratelimit import Limiter
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.tiers import Limit, TenantTiers
from apim_gateway.throttling import api_key, application_key, resource_key, subscription_key


class EventLimits:
    """The counters one connection's frames go to; ``admit`` is called once per frame."""

    __slots__ = ("levels", "limiter")

    def __init__(self, limiter: Limiter, levels: list[tuple[str, Limit]]) -> None:
        self.limiter = limiter
        self.levels = levels

    async def admit(self) -> bool:
        limiter = self.limiter
        for key, limit in self.levels:
            decision = limiter.try_acquire(key, limit.count, limit.window)
            if decision.pending:
                decision = await limiter.settle(key)
            if not decision.admitted:
                return False
        return True


def event_limits(
    limiter: Limiter,
    tiers: TenantTiers | None,
    api: CompiledApi,
    op: Operation,
    auth: AuthContext,
    client_ip: str,
) -> EventLimits | None:
    """None when no tier limits the connection's frames (nothing is counted then)."""
    if tiers is None:
        return None
    levels: list[tuple[str, Limit]] = []
    tenant = api.tenant
    if api.api_throttling_policy is not None:
        tier = tiers.advanced.get(api.api_throttling_policy)
        if tier is not None and tier.limit is not None:
            levels.append((api_key(tenant, api.id), tier.limit))
    if op.throttling_policy is not None:
        tier = tiers.advanced.get(op.throttling_policy)
        if tier is not None and tier.limit is not None:
            levels.append((resource_key(tenant, api.id, op.verb, op.target), tier.limit))
    app_id = auth.application_id
    if app_id is not None:
        if auth.subscription_tier is not None:
            sub = tiers.subscription.get(auth.subscription_tier)
            if sub is not None and sub.limit is not None and sub.stop_on_quota_reach:
                levels.append((subscription_key(tenant, app_id, api.id), sub.limit))
        if auth.application_tier is not None:
            app = tiers.application.get(auth.application_tier)
            if app is not None and app.limit is not None:
                user = auth.subscriber or client_ip
                levels.append((application_key(tenant, app_id, user), app.limit))
    return EventLimits(limiter, levels) if levels else None
