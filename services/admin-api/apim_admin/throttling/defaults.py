"""WSO2's default tiers, present in every tenant from its first start."""

from typing import Any

from apim_common.streaming_tiers import SUBSCRIPTION_TIER_EXTRA, UNLIMITED_COUNT, streaming_policies


def _per_minute(count: int) -> dict[str, Any]:
    return {
        "type": "REQUESTCOUNTLIMIT",
        "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": count},
    }


def _policy(name: str, count: int, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "policyName": name,
        "displayName": name,
        "description": description,
        "defaultLimit": _per_minute(count),
        **extra,
    }


_SUBSCRIPTION_EXTRA: dict[str, Any] = SUBSCRIPTION_TIER_EXTRA

DEFAULT_POLICIES: dict[str, list[dict[str, Any]]] = {
    "subscription": [
        _policy("Gold", 5000, "Allows 5000 requests per minute", **_SUBSCRIPTION_EXTRA),
        _policy("Silver", 2000, "Allows 2000 requests per minute", **_SUBSCRIPTION_EXTRA),
        _policy("Bronze", 1000, "Allows 1000 requests per minute", **_SUBSCRIPTION_EXTRA),
        _policy("Unauthenticated", 500, "Allows 500 requests per minute", **_SUBSCRIPTION_EXTRA),
        _policy("Unlimited", UNLIMITED_COUNT, "Allows unlimited requests", **_SUBSCRIPTION_EXTRA),
    ],
    "application": [
        _policy("10PerMin", 10, "Allows 10 requests per minute"),
        _policy("20PerMin", 20, "Allows 20 requests per minute"),
        _policy("50PerMin", 50, "Allows 50 requests per minute"),
        _policy("Unlimited", UNLIMITED_COUNT, "Allows unlimited requests"),
    ],
    "advanced": [
        _policy("10KPerMin", 10000, "Allows 10000 requests per minute"),
        _policy("20KPerMin", 20000, "Allows 20000 requests per minute"),
        _policy("50KPerMin", 50000, "Allows 50000 requests per minute"),
        _policy("Unlimited", UNLIMITED_COUNT, "Allows unlimited requests"),
    ],
}


# Subscription tiers of streaming APIs, seeded like the others (see apim_common.streaming_tiers).
STREAMING_SUBSCRIPTION_POLICIES: list[dict[str, Any]] = streaming_policies()
