"""Throttling tiers as the gateway counts them: requests or bytes per fixed window.

Compiled once from the Admin API's policies (``throttle-policies`` events and the admin snapshot).
A ``REQUESTCOUNTLIMIT`` counts calls. A ``BANDWIDTHLIMIT`` counts the bytes of request and
response bodies as they pass (``dataAmount`` in ``KB``/``MB``/``GB`` of 1024, 1024² and 1024³
bytes, as WSO2 converts them): a call is refused once the bytes of the window have reached the
limit, and the call that crosses it is admitted whole, its size being known only afterwards
(docs/decisions/0017-bandwidth-limits.md). A tier without a limit the gateway can read never
throttles.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apim_common.streaming_tiers import UNLIMITED_COUNT

logger = logging.getLogger(__name__)

UNLIMITED = "Unlimited"

_UNIT_SECONDS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86_400),
    **dict.fromkeys(("week", "weeks"), 604_800),
    **dict.fromkeys(("month", "months"), 2_592_000),
    **dict.fromkeys(("year", "years"), 31_536_000),
}


def unit_seconds(time_unit: str, unit_time: int = 1) -> int:
    seconds = _UNIT_SECONDS.get(str(time_unit).strip().lower())
    if seconds is None:
        raise ValueError(f"unknown time unit {time_unit!r}")
    return seconds * max(int(unit_time), 1)


DATA_UNIT_BYTES = {"KB": 1024, "MB": 1024**2, "GB": 1024**3}


@dataclass(frozen=True, slots=True)
class Limit:
    count: int  # requests, or bytes when ``bandwidth``
    window: int  # seconds
    bandwidth: bool = False


def limit_of(throttle_limit: Mapping[str, Any] | None) -> Limit | None:
    """A ThrottleLimit ``{type, requestCount: {...}}`` or ``{type: BANDWIDTHLIMIT, bandwidth: {...}}``;
    None: no limit."""
    if not throttle_limit:
        return None
    if throttle_limit.get("type") == "BANDWIDTHLIMIT":
        return _bandwidth_of(throttle_limit.get("bandwidth"))
    if throttle_limit.get("type") == "EVENTCOUNTLIMIT":
        return _events_of(throttle_limit.get("eventCount"))
    request_count = throttle_limit.get("requestCount")
    if not isinstance(request_count, Mapping):
        return None
    try:
        return _counted(
            int(request_count["requestCount"]),
            unit_seconds(request_count.get("timeUnit", "min"), int(request_count.get("unitTime", 1))),
        )
    except (KeyError, TypeError, ValueError):
        logger.warning("ignoring a request-count limit the gateway cannot read: %r", request_count)
        return None


def _counted(count: int, window: int) -> Limit | None:
    """A count limit, or None for WSO2's unlimited count (the largest 32-bit integer, the count of
    every "Unlimited" tier): such a tier counts nothing, so no call waits on a lease for it and a
    lease late under load cannot refuse it."""
    return None if count >= UNLIMITED_COUNT else Limit(count, window)


def _bandwidth_of(bandwidth: Any) -> Limit | None:
    """``{dataAmount, dataUnit KB|MB|GB, timeUnit, unitTime}`` as bytes per window."""
    if not isinstance(bandwidth, Mapping):
        return None
    try:
        unit = DATA_UNIT_BYTES[str(bandwidth["dataUnit"]).upper()]
        return Limit(
            int(bandwidth["dataAmount"]) * unit,
            unit_seconds(bandwidth.get("timeUnit", "min"), int(bandwidth.get("unitTime", 1))),
            bandwidth=True,
        )
    except (KeyError, TypeError, ValueError):
        logger.warning("ignoring a bandwidth limit the gateway cannot read: %r", bandwidth)
        return None


def _events_of(event_count: Any) -> Limit | None:
    """``{eventCount, timeUnit, unitTime}``: the frames of a WebSocket API's connections, either
    way, and the events of an SSE API's streams, counted as requests are."""
    if not isinstance(event_count, Mapping):
        return None
    try:
        return _counted(
            int(event_count["eventCount"]),
            unit_seconds(event_count.get("timeUnit", "min"), int(event_count.get("unitTime", 1))),
        )
    except (KeyError, TypeError, ValueError):
        logger.warning("ignoring an event-count limit the gateway cannot read: %r", event_count)
        return None


# What a condition looks at: headers (lower-case names), query parameters, client IP, JWT claims.
ConditionInput = tuple[Mapping[str, str], Mapping[str, str], str, Mapping[str, Any]]
Predicate = Callable[[ConditionInput], bool]


def _condition(raw: Mapping[str, Any]) -> Predicate:
    kind = raw.get("type")
    invert = bool(raw.get("invertCondition"))
    test: Predicate
    if kind == "HEADERCONDITION":
        spec = raw.get("headerCondition") or {}
        name, value = str(spec.get("headerName", "")).lower(), str(spec.get("headerValue", ""))
        pattern = re.compile(value)
        test = lambda i: (v := i[0].get(name)) is not None and pattern.fullmatch(v) is not None  # noqa: E731
    elif kind == "QUERYPARAMETERCONDITION":
        spec = raw.get("queryParameterCondition") or {}
        name, value = str(spec.get("parameterName", "")), str(spec.get("parameterValue", ""))
        pattern = re.compile(value)
        test = lambda i: (v := i[1].get(name)) is not None and pattern.fullmatch(v) is not None  # noqa: E731
    elif kind == "JWTCLAIMSCONDITION":
        spec = raw.get("jwtClaimsCondition") or {}
        claim, value = str(spec.get("claimUrl", "")), str(spec.get("attribute", ""))
        pattern = re.compile(value)
        test = lambda i: (v := i[3].get(claim)) is not None and pattern.fullmatch(str(v)) is not None  # noqa: E731
    elif kind == "IPCONDITION":
        spec = raw.get("ipCondition") or {}
        if spec.get("ipConditionType") == "IPRANGE":
            low = ipaddress.ip_address(str(spec.get("startingIP")))
            high = ipaddress.ip_address(str(spec.get("endingIP")))
            test = lambda i: _ip_between(i[2], low, high)  # noqa: E731
        else:
            specific = str(spec.get("specificIP"))
            test = lambda i: i[2] == specific  # noqa: E731
    else:
        raise ValueError(f"unknown condition type {kind!r}")
    if invert:
        return lambda i: not test(i)
    return test


def _ip_between(ip: str, low: Any, high: Any) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return bool(low.version == address.version and low <= address <= high)


@dataclass(frozen=True, slots=True)
class ConditionalGroup:
    index: int
    conditions: tuple[Predicate, ...]
    limit: Limit

    def matches(self, inputs: ConditionInput) -> bool:
        return all(c(inputs) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class AdvancedTier:
    name: str
    limit: Limit | None
    groups: tuple[ConditionalGroup, ...] = ()


@dataclass(frozen=True, slots=True)
class SubscriptionTier:
    name: str
    limit: Limit | None
    burst: Limit | None
    stop_on_quota_reach: bool = True
    # subscriberCount: the active WebSub subscribers an application subscription may hold.
    subscribers: int | None = None
    # GraphQL APIs: the deepest and the most complex query a subscriber of this tier may send;
    # 0 for no bound (``graphql/limits.py``).
    graphql_max_depth: int = 0
    graphql_max_complexity: int = 0


@dataclass(frozen=True, slots=True)
class ApplicationTier:
    name: str
    limit: Limit | None
    burst: Limit | None


@dataclass(frozen=True, slots=True)
class CustomRule:
    name: str
    key_template: str
    limit: Limit


def _burst(count: Any, unit: Any) -> Limit | None:
    try:
        n = int(count or 0)
        return Limit(n, unit_seconds(str(unit))) if n > 0 and unit else None
    except ValueError:
        return None


def advanced_tier(policy: Mapping[str, Any]) -> AdvancedTier:
    groups = []
    for index, group in enumerate(policy.get("conditionalGroups") or ()):
        limit = limit_of(group.get("limit"))
        if limit is None:
            continue
        conditions = tuple(_condition(c) for c in group.get("conditions") or ())
        groups.append(ConditionalGroup(index, conditions, limit))
    return AdvancedTier(str(policy["policyName"]), limit_of(policy.get("defaultLimit")), tuple(groups))


def subscription_tier(policy: Mapping[str, Any]) -> SubscriptionTier:
    return SubscriptionTier(
        str(policy["policyName"]),
        limit_of(policy.get("defaultLimit")),
        _burst(policy.get("rateLimitCount"), policy.get("rateLimitTimeUnit")),
        bool(policy.get("stopOnQuotaReach", True)),
        int(policy["subscriberCount"]) if policy.get("subscriberCount") else None,
        graphql_max_depth=_graphql_bound(policy.get("graphQLMaxDepth")),
        graphql_max_complexity=_graphql_bound(policy.get("graphQLMaxComplexity")),
    )


def _graphql_bound(value: Any) -> int:
    """``graphQLMaxDepth`` / ``graphQLMaxComplexity``: 0 (no bound) when absent or not positive."""
    return value if type(value) is int and value > 0 else 0


def application_tier(policy: Mapping[str, Any]) -> ApplicationTier:
    burst = policy.get("burstLimit") or {}
    return ApplicationTier(
        str(policy["policyName"]),
        limit_of(policy.get("defaultLimit")),
        _burst(burst.get("rateLimitCount"), burst.get("rateLimitTimeUnit")),
    )


# WSO2 writes a custom rule's limit in its Siddhi query: ``#throttler:timeBatch(1 min)`` and
# ``count(...) >= 5``; a ``defaultLimit`` on the rule is read first.
_TIME_BATCH = re.compile(r"timeBatch\(\s*(\d+)\s*([A-Za-z]+)\s*\)")
_COUNT = re.compile(r"count\([^)]*\)\s*>=\s*(\d+)")


def custom_rule(policy: Mapping[str, Any]) -> CustomRule | None:
    limit = limit_of(policy.get("defaultLimit"))
    if limit is None:
        query = str(policy.get("siddhiQuery") or "")
        batch, count = _TIME_BATCH.search(query), _COUNT.search(query)
        if batch is None or count is None:
            return None
        try:
            limit = Limit(int(count.group(1)), unit_seconds(batch.group(2), int(batch.group(1))))
        except ValueError:
            return None
    return CustomRule(str(policy["policyName"]), str(policy.get("keyTemplate") or ""), limit)


@dataclass(slots=True)
class TenantTiers:
    advanced: dict[str, AdvancedTier] = field(default_factory=dict)
    subscription: dict[str, SubscriptionTier] = field(default_factory=dict)
    application: dict[str, ApplicationTier] = field(default_factory=dict)
    custom: dict[str, CustomRule] = field(default_factory=dict)
