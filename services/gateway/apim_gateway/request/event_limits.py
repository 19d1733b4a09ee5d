"""Streaming APIs' limits: every WebSocket frame, either way, and every Server-Sent Event is one
event on the connection's tiers (``EVENTCOUNTLIMIT``), and its payload bytes count on those that
are bandwidth limits (``BANDWIDTHLIMIT``).

The counters are those of HTTP requests, at the same keys and through the same limiter: exact
in one process (``LocalLimiter``) or across gateways (throttle-sync's leases). Levels, as WSO2
throttles a frame: the API's tier, the topic's, the subscription's and the application's.

The handshake (or the SSE call) is refused with 429 and the level's code when a window is known
to be spent: the events' counters are peeked, taking nothing (``Limiter.peek``: exact in one
process, and across gateways once this gateway has seen the shared count run out), so a client is
not accepted only to be closed 4003 at its first frame. A bandwidth limit is decided there too, as
an HTTP call is decided before its body: a client whose window's bytes have reached the limit is
refused; an admitted connection's frames count their bytes as they pass
(``throttling/meter.py``), and its bytes are in the shared count once it has closed.
"""

from __future__ import annotations

from apim_gateway.context import AuthContext
from apim_gateway.errors import GatewayError
from apim_gateway.ratelimit import Limiter
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.tiers import Limit, TenantTiers
from apim_gateway.throttling import (
    Decision,
    Meter,
    ThrottleLevel,
    api_key,
    application_key,
    bandwidth_key,
    rate_limit_headers,
    resource_key,
    subscription_key,
    throttle_error,
)

Level = tuple[str, Limit, ThrottleLevel]


class EventLimits:
    """The counters one connection's frames go to: ``admit`` (or ``take``) once per frame."""

    __slots__ = ("bandwidth", "levels", "limiter", "meter")

    def __init__(self, limiter: Limiter, levels: list[Level], bandwidth: list[Level]) -> None:
        self.limiter = limiter
        self.levels = levels
        self.bandwidth = bandwidth
        self.meter = Meter(limiter, [key for key, _, _ in bandwidth]) if bandwidth else None

    async def admit_connection(self) -> None:
        """Raises the 429 of the first level whose window is spent: its events known to be used
        up (peeked, nothing taken) or, for a bandwidth level, its bytes at the limit."""
        limiter = self.limiter
        for key, limit, level in self.levels:
            decision = limiter.peek(key, limit.count, limit.window)
            if not decision.admitted:
                raise _refusal(level, decision)
        for key, limit, level in self.bandwidth:
            decision = limiter.try_acquire(key, limit.count, limit.window, take=0)
            if decision.pending:
                decision = await limiter.settle(key, take=0)
            if not decision.admitted:
                raise _refusal(level, decision)

    async def admit(self) -> ThrottleLevel | None:
        """One event on every level: None when admitted, else the level that refused it."""
        taken = self.take()
        if isinstance(taken, int):
            return await self.settle(taken)
        return taken

    def take(self) -> ThrottleLevel | int | None:
        """``admit`` without waiting, for a relay's every frame: None when admitted, the level
        that refused the event, or the index of the level whose lease is on its way (the levels
        before it have taken their unit): ``settle`` it. The same units are taken as by ``admit``,
        one per level, in the same order: only the coroutine a frame would cost is saved."""
        limiter = self.limiter
        for index, (key, limit, level) in enumerate(self.levels):
            decision = limiter.try_acquire(key, limit.count, limit.window)
            if not decision.admitted:
                return index if decision.pending else level
        return None

    async def settle(self, index: int) -> ThrottleLevel | None:
        """Waits for the lease ``take`` stopped at, then takes the event on the levels after it."""
        levels, limiter = self.levels, self.limiter
        key, limit, level = levels[index]
        if not (await limiter.settle(key)).admitted:
            return level
        for key, limit, level in levels[index + 1 :]:
            decision = limiter.try_acquire(key, limit.count, limit.window)
            if decision.pending:
                decision = await limiter.settle(key)
            if not decision.admitted:
                return level
        return None

    async def closed(self) -> None:
        """The connection's bytes reach the shared count before it is forgotten."""
        if self.meter is not None:
            await self.limiter.flush(self.meter.keys)


def _refusal(level: ThrottleLevel, decision: Decision) -> GatewayError:
    error = throttle_error(level)
    headers = rate_limit_headers(decision.limit, 0, decision.reset_after, admitted=False)
    return GatewayError(error.status, (error.code, error.message), error.description, headers)


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
    found: list[Level] = []
    tenant = api.tenant
    if api.api_throttling_policy is not None:
        tier = tiers.advanced.get(api.api_throttling_policy)
        if tier is not None and tier.limit is not None:
            found.append((api_key(tenant, api.id), tier.limit, ThrottleLevel.API))
    if op.throttling_policy is not None:
        tier = tiers.advanced.get(op.throttling_policy)
        if tier is not None and tier.limit is not None:
            key = resource_key(tenant, api.id, op.verb, op.target)
            found.append((key, tier.limit, ThrottleLevel.RESOURCE))
    app_id = auth.application_id
    if app_id is not None:
        if auth.subscription_tier is not None:
            sub = tiers.subscription.get(auth.subscription_tier)
            if sub is not None and sub.limit is not None and sub.stop_on_quota_reach:
                key = subscription_key(tenant, app_id, api.id, tier=auth.subscription_tier)
                found.append((key, sub.limit, ThrottleLevel.SUBSCRIPTION))
        if auth.application_tier is not None:
            app = tiers.application.get(auth.application_tier)
            if app is not None and app.limit is not None:
                key = application_key(tenant, app_id, auth.subscriber or client_ip)
                found.append((key, app.limit, ThrottleLevel.APPLICATION))
    if not found:
        return None
    counted = [level for level in found if not level[1].bandwidth]
    metered = [(bandwidth_key(key), limit, level) for key, limit, level in found if limit.bandwidth]
    return EventLimits(limiter, counted, metered)
