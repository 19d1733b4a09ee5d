"""WSO2's default tiers, known before any event so that the quick start works on a fresh install."""

from typing import Any

from apim_common.streaming_tiers import SUBSCRIPTION_TIER_EXTRA, UNLIMITED_COUNT, streaming_policies


def _policy(name: str, count: int, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "policyId": f"default-{name}",
        "policyName": name,
        "displayName": name,
        "description": description,
        "defaultLimit": {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": count},
        },
        **extra,
    }


_SUBSCRIPTION: dict[str, Any] = SUBSCRIPTION_TIER_EXTRA


DEFAULT_TIERS: dict[str, list[dict[str, Any]]] = {
    "application": [
        _policy("Unlimited", UNLIMITED_COUNT, "Allows unlimited requests"),
        _policy("10PerMin", 10, "Allows 10 requests per minute"),
        _policy("20PerMin", 20, "Allows 20 requests per minute"),
        _policy("50PerMin", 50, "Allows 50 requests per minute"),
    ],
    "subscription": [
        _policy("Unlimited", UNLIMITED_COUNT, "Allows unlimited requests", **_SUBSCRIPTION),
        _policy("Gold", 5000, "Allows 5000 requests per minute", **_SUBSCRIPTION),
        _policy("Silver", 2000, "Allows 2000 requests per minute", **_SUBSCRIPTION),
        _policy("Bronze", 1000, "Allows 1000 requests per minute", **_SUBSCRIPTION),
        _policy("Unauthenticated", 500, "Allows 500 requests per minute", **_SUBSCRIPTION),
        # Streaming APIs' tiers, as admin-api seeds them in every tenant.
        *({"policyId": f"default-{p['policyName']}", **p} for p in streaming_policies()),
    ],
}
