"""Rate limits on the request path, in the order of docs/architecture.md, through one small interface.

``Limiter`` is what the request path calls for each counter key: ``try_acquire`` (synchronous,
O(1)) and, when a decision is ``pending`` (a lease of shared units is on its way), ``settle``.
Two implementations:

- ``LocalLimiter`` (default, ``APIM_GATEWAY_THROTTLE_MODE=local``): an exact fixed-window counter
  in this process, windows aligned to the wall clock; exact for one gateway (standalone mode).
- ``apim_gateway.throttling.ThrottleClient`` (``APIM_GATEWAY_THROTTLE_MODE=shared``): leases of
  units from throttle-sync, exact across gateways, with a local share as fallback.

Levels, each with its WSO2 code (429 unless noted): advanced policy on the API 900800 (each
matching conditional group has its own counter), resource 900802, subscription 900804 and its
burst 900807, application 900803 and its burst 900809, custom rules 900806; the backend's maxTps
(503 900801) is checked just before the backend call.

A level whose tier is a bandwidth limit (``BANDWIDTHLIMIT``) answers with the same code. Its call is
admitted while the bytes of the window are below the limit, and ``check`` returns a ``Meter`` of
the counters its bytes go to (None, and nothing more per call, when no bandwidth limit applies).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn, Protocol, TypeVar

from apim_gateway.errors import GatewayError
from apim_gateway.runtime.tiers import AdvancedTier, ConditionInput, Limit, TenantTiers
from apim_gateway.throttling import (
    Decision,
    Meter,
    ThrottleLevel,
    api_key,
    application_key,
    bandwidth_key,
    custom_key,
    rate_limit_headers,
    resource_key,
    subscription_key,
    throttle_error,
)

_K = TypeVar("_K", bound=tuple[str, ...])
_KEYS_KEPT = 65_536


class Limiter(Protocol):
    def try_acquire(
        self, key: str, limit: int, window_seconds: int, *, stop_on_quota_reach: bool = True, take: int = 1
    ) -> Decision: ...

    async def settle(self, key: str, *, stop_on_quota_reach: bool = True, take: int = 1) -> Decision: ...

    def peek(self, key: str, limit: int, window_seconds: int) -> Decision:
        """Whether the key's window is known to be spent, without taking a unit: refused only then."""
        ...

    def consume(self, key: str, amount: int) -> None:
        """Bytes of a call admitted with ``take=0``, counted as they pass."""
        ...

    async def flush(self, keys: list[str]) -> None:
        """Before a metered call completes: its bytes are in the shared count."""
        ...


class LocalLimiter:
    """Exact fixed windows in this process: ``limit`` admissions per window, not one more."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counters: dict[str, list[float]] = {}  # key -> [window index, admitted, window end]
        self._sweep_at = 0.0

    def try_acquire(
        self, key: str, limit: int, window_seconds: int, *, stop_on_quota_reach: bool = True, take: int = 1
    ) -> Decision:
        now = self._clock()
        counter = self._counters.get(key)
        if counter is None or now >= counter[2]:
            if now >= self._sweep_at:
                self._sweep(now)
            window = now // window_seconds
            counter = self._counters[key] = [window, 0, (window + 1) * window_seconds]
        reset_after = counter[2] - now
        if counter[1] < limit or not stop_on_quota_reach:
            counter[1] += take
            return Decision(True, limit, limit - int(counter[1]), reset_after, int(counter[0]))
        return Decision(False, limit, 0, reset_after, int(counter[0]))

    def admit(self, key: str, limit: int, window_seconds: int, stop: bool, take: int) -> Decision | None:
        """``try_acquire`` for the request path: None when admitted (no ``Decision`` built), the
        refusal otherwise."""
        now = self._clock()
        counter = self._counters.get(key)
        if counter is None or now >= counter[2]:
            if now >= self._sweep_at:
                self._sweep(now)
            window = now // window_seconds
            counter = self._counters[key] = [window, 0, (window + 1) * window_seconds]
        if counter[1] < limit or not stop:
            counter[1] += take
            return None
        return Decision(False, limit, 0, counter[2] - now, int(counter[0]))

    async def settle(self, key: str, *, stop_on_quota_reach: bool = True, take: int = 1) -> Decision:
        raise AssertionError("a local decision is never pending")

    def peek(self, key: str, limit: int, window_seconds: int) -> Decision:
        """Exact here: refused once the window's admissions have reached ``limit``."""
        now = self._clock()
        counter = self._counters.get(key)
        if counter is None or now >= counter[2]:
            return Decision(True, limit, limit, window_seconds - now % window_seconds)
        reset_after = counter[2] - now
        if counter[1] >= limit:
            return Decision(False, limit, 0, reset_after, int(counter[0]))
        return Decision(True, limit, limit - int(counter[1]), reset_after, int(counter[0]))

    def consume(self, key: str, amount: int) -> None:
        """Adds to the window the call was admitted in, or to the next if that one has ended."""
        counter = self._counters.get(key)
        if counter is None:
            return
        now = self._clock()
        if now >= counter[2]:
            window_seconds = round(counter[2] / (counter[0] + 1))
            window = now // window_seconds
            counter[:] = [window, 0, (window + 1) * window_seconds]
        counter[1] += amount

    async def flush(self, keys: list[str]) -> None:
        """Counted at once in this process."""

    def _sweep(self, now: float) -> None:
        """Forget counters of windows that ended, at most once a minute."""
        self._sweep_at = now + 60
        self._counters = {k: c for k, c in self._counters.items() if c[2] > now}


def _admit(
    limiter: Limiter, key: str, limit: Limit, level: ThrottleLevel, stop: bool = True
) -> Decision | str | None:
    """Admits the call at one level or raises its refusal, without a coroutine: for a bandwidth
    limit, the key of the counter its bytes go to; the ``Decision`` when it is pending (a lease on
    its way), which ``_settle`` then waits for."""
    take = 1
    if limit.bandwidth:
        key, take = bandwidth_key(key), 0
    if type(limiter) is LocalLimiter:
        refused = limiter.admit(key, limit.count, limit.window, stop, take)
        if refused is not None:
            _refuse(refused, level)
        return key if take == 0 else None
    decision = limiter.try_acquire(key, limit.count, limit.window, stop_on_quota_reach=stop, take=take)
    if decision.pending:
        return decision
    if not decision.admitted:
        _refuse(decision, level)
    return key if take == 0 else None


async def _settle(limiter: Limiter, key: str, limit: Limit, level: ThrottleLevel, stop: bool) -> str | None:
    take = 1
    if limit.bandwidth:
        key, take = bandwidth_key(key), 0
    decision = await limiter.settle(key, stop_on_quota_reach=stop, take=take)
    if not decision.admitted:
        _refuse(decision, level)
    return key if take == 0 else None


def _refuse(decision: Decision, level: ThrottleLevel) -> NoReturn:
    error = throttle_error(level)
    headers = rate_limit_headers(decision.limit, 0, decision.reset_after, admitted=False)
    raise GatewayError(error.status, (error.code, error.message), error.description, headers)


async def _acquire(
    limiter: Limiter, key: str, limit: Limit, level: ThrottleLevel, stop: bool = True
) -> str | None:
    """Admits the call at one level or raises its refusal; for a bandwidth limit, the key of the
    counter its bytes go to."""
    counted = _admit(limiter, key, limit, level, stop)
    if isinstance(counted, Decision):
        return await _settle(limiter, key, limit, level, stop)
    return counted


def _also(keys: list[str] | None, key: str) -> list[str]:
    if keys is None:
        return [key]
    keys.append(key)
    return keys


class RateLimits:
    """Runs every level that applies to one request; raises ``GatewayError`` on the first refusal,
    whose 429 (or 503) carries Retry-After and X-RateLimit-Limit / -Remaining / -Reset. Admitted
    requests get no such headers, as in WSO2 (and each would cost every response a little)."""

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter
        # Counter keys by what names them, built at a caller's first call rather than on each.
        self._subscription_keys: dict[tuple[str, str, str, str], tuple[str, str]] = {}
        self._application_keys: dict[tuple[str, str, str], tuple[str, str]] = {}

    @staticmethod
    def _keep(memo: dict[_K, tuple[str, str]], name: _K, keys: tuple[str, str]) -> tuple[str, str]:
        if len(memo) >= _KEYS_KEPT:
            memo.clear()
        memo[name] = keys
        return keys

    async def check(
        self,
        tiers: TenantTiers,
        *,
        tenant: str,
        api_id: str,
        api_policy: str | None,
        verb: str,
        target: str,
        resource_policy: str | None,
        application_id: str | None,
        user: str,
        subscription_tier: str | None,
        application_tier: str | None,
        conditions: Callable[[], ConditionInput],
        variables: Callable[[], Mapping[str, str]],
        more_resources: Sequence[tuple[str, str, str]] = (),
    ) -> Meter | None:
        """Raises the first refusal; the ``Meter`` of the call's bandwidth limits, if any apply.

        ``more_resources``: (verb, target, policy) of further operations the call runs, each
        counted at the resource level as its own (a GraphQL query's operations)."""
        limiter = self.limiter
        metered: list[str] | None = None
        if api_policy is not None:
            tier = tiers.advanced.get(api_policy)
            if tier is not None:
                metered = await self._advanced(
                    metered, tier, conditions, ThrottleLevel.API, api_key, tenant, api_id
                )
        if resource_policy is not None:
            tier = tiers.advanced.get(resource_policy)
            if tier is not None:
                metered = await self._advanced(
                    metered,
                    tier,
                    conditions,
                    ThrottleLevel.RESOURCE,
                    lambda t, a, g=None: resource_key(t, a, verb, target, g),
                    tenant,
                    api_id,
                )
        for more_verb, more_target, more_policy in more_resources:
            tier = tiers.advanced.get(more_policy)
            if tier is not None:
                metered = await self._advanced(
                    metered,
                    tier,
                    conditions,
                    ThrottleLevel.RESOURCE,
                    lambda t, a, g=None, v=more_verb, p=more_target: resource_key(t, a, v, p, g),
                    tenant,
                    api_id,
                )
        if application_id is not None:
            if subscription_tier is not None:
                sub = tiers.subscription.get(subscription_tier)
                if sub is not None:
                    keys = self._subscription_keys.get((tenant, application_id, api_id, subscription_tier))
                    if keys is None:
                        keys = self._keep(
                            self._subscription_keys,
                            (tenant, application_id, api_id, subscription_tier),
                            (
                                subscription_key(tenant, application_id, api_id, tier=subscription_tier),
                                subscription_key(
                                    tenant, application_id, api_id, tier=subscription_tier, burst=True
                                ),
                            ),
                        )
                    if sub.limit is not None:
                        level, stop = ThrottleLevel.SUBSCRIPTION, sub.stop_on_quota_reach
                        counted = _admit(limiter, keys[0], sub.limit, level, stop)
                        if isinstance(counted, Decision):
                            counted = await _settle(limiter, keys[0], sub.limit, level, stop)
                        if counted is not None:
                            metered = _also(metered, counted)
                    if sub.burst is not None:
                        await _acquire(limiter, keys[1], sub.burst, ThrottleLevel.SUBSCRIPTION_BURST)
            if application_tier is not None:
                app = tiers.application.get(application_tier)
                if app is not None:
                    keys = self._application_keys.get((tenant, application_id, user))
                    if keys is None:
                        keys = self._keep(
                            self._application_keys,
                            (tenant, application_id, user),
                            (
                                application_key(tenant, application_id, user),
                                application_key(tenant, application_id, user, burst=True),
                            ),
                        )
                    if app.limit is not None:
                        level = ThrottleLevel.APPLICATION
                        counted = _admit(limiter, keys[0], app.limit, level)
                        if isinstance(counted, Decision):
                            counted = await _settle(limiter, keys[0], app.limit, level, True)
                        if counted is not None:
                            metered = _also(metered, counted)
                    if app.burst is not None:
                        await _acquire(limiter, keys[1], app.burst, ThrottleLevel.APPLICATION_BURST)
        if tiers.custom:
            values = variables()
            for rule in tiers.custom.values():
                counted = await _acquire(
                    limiter,
                    custom_key(rule.name, rule.key_template, values),
                    rule.limit,
                    ThrottleLevel.CUSTOM,
                )
                if counted is not None:
                    metered = _also(metered, counted)
        return None if metered is None else Meter(limiter, metered)

    async def _advanced(
        self,
        metered: list[str] | None,
        tier: AdvancedTier,
        conditions: Callable[[], ConditionInput],
        level: ThrottleLevel,
        key: Callable[..., str],
        tenant: str,
        api_id: str,
    ) -> list[str] | None:
        matched = False
        if tier.groups:
            inputs = conditions()
            for group in tier.groups:
                if group.matches(inputs):
                    matched = True
                    counted = await _acquire(
                        self.limiter, key(tenant, api_id, group.index), group.limit, level
                    )
                    if counted is not None:
                        metered = _also(metered, counted)
        if not matched and tier.limit is not None:
            counted = await _acquire(self.limiter, key(tenant, api_id), tier.limit, level)
            if counted is not None:
                metered = _also(metered, counted)
        return metered

    async def backend(self, key: str, limit: Limit) -> None:
        await _acquire(self.limiter, key, limit, ThrottleLevel.BACKEND)
