"""WSO2's default tiers, known before any event so that the quick start works on a fresh install."""

from typing import Any

UNLIMITED_COUNT = 2147483647


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


_SUBSCRIPTION: dict[str, Any] = {"stopOnQuotaReach": True, "billingPlan": "FREE"}


def _events(
    name: str, count: int, unit: str, description: str, subscribers: int | None = None
) -> dict[str, Any]:
    """A streaming API's tier: events (frames, server events, WebSub deliveries) per ``unit``."""
    policy: dict[str, Any] = {
        "policyId": f"default-{name}",
        "policyName": name,
        "displayName": name,
        "description": description,
        "defaultLimit": {
            "type": "EVENTCOUNTLIMIT",
            "eventCount": {"timeUnit": unit, "unitTime": 1, "eventCount": count},
        },
        **_SUBSCRIPTION,
    }
    if subscribers is not None:
        policy["subscriberCount"] = subscribers
    return policy


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
        _events("AsyncGold", 50000, "day", "Allows 50000 events per day"),
        _events("AsyncSilver", 25000, "day", "Allows 25000 events per day"),
        _events("AsyncBronze", 5000, "day", "Allows 5000 events per day"),
        _events("AsyncUnlimited", UNLIMITED_COUNT, "min", "Allows unlimited events"),
        _events(
            "AsyncWHGold", 10000, "month", "Allows 10000 events per month and 1000 active subscriptions", 1000
        ),
        _events(
            "AsyncWHSilver", 5000, "month", "Allows 5000 events per month and 500 active subscriptions", 500
        ),
        _events(
            "AsyncWHBronze", 1000, "month", "Allows 1000 events per month and 500 active subscriptions", 500
        ),
    ],
}
