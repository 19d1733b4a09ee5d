"""WSO2's default subscription tiers of streaming APIs (WebSocket, SSE, WebSub), one table for the
admin service that seeds them in every tenant and the Developer Portal that knows them before any
event arrives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# WSO2's "unlimited" count: the largest 32-bit signed integer.
UNLIMITED_COUNT = 2147483647
SUBSCRIPTION_TIER_EXTRA: dict[str, Any] = {"stopOnQuotaReach": True, "billingPlan": "FREE"}


@dataclass(frozen=True, slots=True)
class StreamingTier:
    """Events (WebSocket frames, SSE events, WebSub deliveries) per ``unit``, and for WebSub a cap
    on active subscriptions."""

    name: str
    events: int
    unit: str
    description: str
    subscribers: int | None = None

    def policy(self) -> dict[str, Any]:
        """The tier as a WSO2 ``SubscriptionThrottlePolicy`` body."""
        body: dict[str, Any] = {
            "policyName": self.name,
            "displayName": self.name,
            "description": self.description,
            "defaultLimit": {
                "type": "EVENTCOUNTLIMIT",
                "eventCount": {"timeUnit": self.unit, "unitTime": 1, "eventCount": self.events},
            },
            **SUBSCRIPTION_TIER_EXTRA,
        }
        if self.subscribers is not None:
            body["subscriberCount"] = self.subscribers
        return body


# WSO2's descriptions give 500 subscriptions for AsyncWHBronze (one of its tests asserts 100); the
# descriptions are followed.
STREAMING_TIERS: tuple[StreamingTier, ...] = (
    StreamingTier("AsyncGold", 50000, "day", "Allows 50000 events per day"),
    StreamingTier("AsyncSilver", 25000, "day", "Allows 25000 events per day"),
    StreamingTier("AsyncBronze", 5000, "day", "Allows 5000 events per day"),
    StreamingTier("AsyncUnlimited", UNLIMITED_COUNT, "min", "Allows unlimited events"),
    StreamingTier(
        "AsyncWHGold", 10000, "month", "Allows 10000 events per month and 1000 active subscriptions", 1000
    ),
    StreamingTier(
        "AsyncWHSilver", 5000, "month", "Allows 5000 events per month and 500 active subscriptions", 500
    ),
    StreamingTier(
        "AsyncWHBronze", 1000, "month", "Allows 1000 events per month and 500 active subscriptions", 500
    ),
)


def streaming_policies() -> list[dict[str, Any]]:
    """Fresh policy bodies of every default streaming tier, in the table's order."""
    return [tier.policy() for tier in STREAMING_TIERS]
