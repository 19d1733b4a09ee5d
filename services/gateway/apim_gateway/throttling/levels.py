"""Throttle levels: their counter keys, WSO2 error codes and windows.

Keys name what is counted, scoped by tenant so two tenants never share a counter. A rate limit
is a fixed window of ``window_seconds(timeUnit, unitTime)`` seconds, aligned to the counter clock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class ThrottleLevel(StrEnum):
    API = "api"  # advanced policy on the API (and each of its conditional groups)
    RESOURCE = "resource"  # advanced policy on one operation
    SUBSCRIPTION = "subscription"
    SUBSCRIPTION_BURST = "subscription-burst"
    APPLICATION = "application"
    APPLICATION_BURST = "application-burst"
    CUSTOM = "custom"
    BACKEND = "backend"  # the API's maxTps towards its backend


@dataclass(frozen=True, slots=True)
class ThrottleError:
    status: int
    code: str
    message: str
    description: str


THROTTLE_ERRORS: Mapping[ThrottleLevel, ThrottleError] = {
    ThrottleLevel.API: ThrottleError(
        429, "900800", "Message throttled out", "You have exceeded your quota of the API"
    ),
    ThrottleLevel.RESOURCE: ThrottleError(
        429, "900802", "Message throttled out", "You have exceeded your quota of this resource"
    ),
    ThrottleLevel.APPLICATION: ThrottleError(
        429, "900803", "Message throttled out", "You have exceeded your application's quota"
    ),
    ThrottleLevel.SUBSCRIPTION: ThrottleError(
        429, "900804", "Message throttled out", "You have exceeded your subscription's quota"
    ),
    ThrottleLevel.CUSTOM: ThrottleError(
        429, "900806", "Message throttled out", "You have exceeded a custom throttling policy"
    ),
    ThrottleLevel.SUBSCRIPTION_BURST: ThrottleError(
        429, "900807", "Message throttled out", "You have exceeded your subscription's burst limit"
    ),
    ThrottleLevel.APPLICATION_BURST: ThrottleError(
        429, "900809", "Message throttled out", "You have exceeded your application's burst limit"
    ),
    ThrottleLevel.BACKEND: ThrottleError(
        503, "900801", "API Limit Reached", "The backend of this API is not accepting more requests now"
    ),
}


def throttle_error(level: ThrottleLevel) -> ThrottleError:
    return THROTTLE_ERRORS[level]


_UNIT_SECONDS = {
    **dict.fromkeys(("sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("hour", "hours"), 3600),
    **dict.fromkeys(("day", "days"), 86400),
}


def window_seconds(time_unit: str, unit_time: int = 1) -> int:
    """``sec|min|hour|day`` (tiers) or ``SECOND|MINUTE|HOUR`` (maxTps), times ``unitTime``."""
    seconds = _UNIT_SECONDS.get(time_unit.strip().lower())
    if seconds is None:
        raise ValueError(f"unknown time unit {time_unit!r}")
    if unit_time <= 0:
        raise ValueError("unitTime must be positive")
    return seconds * unit_time


def api_key(tenant: str, api_id: str, conditional_group: int | None = None) -> str:
    """The API-level (advanced) counter; each matching conditional group has its own."""
    base = f"api:{tenant}:{api_id}"
    return base if conditional_group is None else f"{base}:g{conditional_group}"


def resource_key(
    tenant: str, api_id: str, verb: str, target: str, conditional_group: int | None = None
) -> str:
    base = f"res:{tenant}:{api_id}:{verb.upper()}:{target}"
    return base if conditional_group is None else f"{base}:g{conditional_group}"


def subscription_key(
    tenant: str, application_id: str, api_id: str, *, tier: str | None = None, burst: bool = False
) -> str:
    """Per subscription and its tier, as WSO2 counts: a subscription moved to another tier starts
    counting afresh under it rather than carrying the calls made under the old one."""
    base = f"{'subb' if burst else 'sub'}:{tenant}:{application_id}:{api_id}"
    return base if tier is None else f"{base}:{tier}"


def application_key(tenant: str, application_id: str, user: str, *, burst: bool = False) -> str:
    """Per application and end user, as WSO2 counts application tiers."""
    return f"{'appb' if burst else 'app'}:{tenant}:{application_id}:{user}"


def bandwidth_key(key: str) -> str:
    """A level's counter of bytes, apart from its counter of requests under the same name."""
    return "bytes:" + key


def backend_key(tenant: str, api_id: str, key_type: str = "PRODUCTION") -> str:
    """maxTps is set per key type (production / sandbox endpoints)."""
    return f"backend:{tenant}:{api_id}:{key_type.lower()}"


_TEMPLATE_VARIABLE = re.compile(r"\$([A-Za-z]+)")


def custom_key(policy_name: str, key_template: str, variables: Mapping[str, str]) -> str:
    """A custom rule's key template with ``$userId``, ``$apiContext``... filled in.

    An unknown variable is kept as written, so a template never collapses distinct callers into one
    key by accident.
    """
    resolved = _TEMPLATE_VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), key_template)
    return f"custom:{policy_name}:{resolved}"


def rate_limit_headers(
    limit: int, remaining: int, reset_after: float, *, admitted: bool
) -> list[tuple[bytes, bytes]]:
    """X-RateLimit-* on every throttled route's answer, and Retry-After on a refusal."""
    reset = str(max(math.ceil(reset_after), 0)).encode()
    headers = [
        (b"x-ratelimit-limit", str(limit).encode()),
        (b"x-ratelimit-remaining", str(max(remaining, 0)).encode()),
        (b"x-ratelimit-reset", reset),
    ]
    if not admitted:
        headers.append((b"retry-after", str(max(math.ceil(reset_after), 1)).encode()))
    return headers
