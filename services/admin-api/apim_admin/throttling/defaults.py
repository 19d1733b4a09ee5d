"""WSO2's default tiers, present in every tenant from its first start."""

from typing import Any

UNLIMITED_COUNT = 2147483647


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


_SUBSCRIPTION_EXTRA: dict[str, Any] = {"stopOnQuotaReach": True, "billingPlan": "FREE"}

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


def _events(
    name: str, count: int, unit: str, description: str, subscribers: int | None = None
) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "policyName": name,
        "displayName": name,
        "description": description,
        "defaultLimit": {
            "type": "EVENTCOUNTLIMIT",
            "eventCount": {"timeUnit": unit, "unitTime": 1, "eventCount": count},
        },
        **_SUBSCRIPTION_EXTRA,
    }
    if subscribers is not None:
        policy["subscriberCount"] = subscribers
    return policy


# Subscription tiers of streaming APIs: events (WebSocket frames, SSE events, WebSub deliveries) per
# day, or per month for WebSub with a cap on active subscriptions. WSO2's descriptions give 500
# subscriptions for AsyncWHBronze (one of its tests asserts 100); the descriptions are followed.
STREAMING_SUBSCRIPTION_POLICIES: list[dict[str, Any]] = [
    _events("AsyncGold", 50000, "day", "Allows 50000 events per day"),
    _events("AsyncSilver", 25000, "day", "Allows 25000 events per day"),
    _events("AsyncBronze", 5000, "day", "Allows 5000 events per day"),
    _events("AsyncUnlimited", UNLIMITED_COUNT, "min", "Allows unlimited events"),
    _events(
        "AsyncWHGold", 10000, "month", "Allows 10000 events per month and 1000 active subscriptions", 1000
    ),
    _events("AsyncWHSilver", 5000, "month", "Allows 5000 events per month and 500 active subscriptions", 500),
    _events("AsyncWHBronze", 1000, "month", "Allows 1000 events per month and 500 active subscriptions", 500),
]
