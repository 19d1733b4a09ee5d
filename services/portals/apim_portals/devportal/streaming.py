"""Streaming APIs in the Developer Portal: an API's topics, and an application's live WebSub
subscriptions (``GET /webhooks/subscriptions``) with their lease and last delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from apim_portals.client import ApiError
from apim_portals.web import Page

STREAMING_TYPES = frozenset(("WS", "WEBSUB", "SSE", "WEBHOOK", "ASYNC"))
WEBSUB_TYPES = frozenset(("WEBSUB", "WEBHOOK"))
# WSO2's WebhookSubscription.deliveryStatus, with the status style that shows it.
DELIVERY_STATUS = {
    0: ("Not delivered yet", "created"),
    1: ("Delivered", "completed"),
    2: ("Failed", "rejected"),
}


def is_streaming(api: dict[str, Any]) -> bool:
    return str(api.get("type") or "HTTP").upper() in STREAMING_TYPES


async def topics(page: Page, api: dict[str, Any]) -> list[dict[str, Any]]:
    """The topics of a streaming API (none for the others, and none if the listing fails)."""
    if not is_streaming(api):
        return []
    try:
        found = await page.api("GET", f"/apis/{quote(str(api['id']), safe='')}/topics")
    except ApiError:
        return []
    return [t for t in found.get("list", []) if isinstance(t, dict)]


def when(value: Any) -> str:
    """ISO 8601 text as a UTC minute, for a table cell."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _row(item: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    label, css = DELIVERY_STATUS.get(int(item.get("deliveryStatus") or 0), ("Unknown", "created"))
    subscribed = item.get("subscribedTime") or item.get("subscribedAt")
    return {
        "api": names.get(str(item.get("apiId")), str(item.get("apiId") or "")),
        "apiId": item.get("apiId"),
        "topic": item.get("topic") or "",
        "callback": item.get("callBackUrl") or "",
        "subscribed": when(subscribed) if subscribed else "",
        "lease": when(item.get("leaseExpiryTime")),
        "delivered": when(item.get("deliveryTime")),
        "status": label,
        "statusClass": css,
    }


async def webhook_subscriptions(
    page: Page, app_id: str, subscriptions: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The application's WebSub subscribers, or None when it subscribes to no WebSub API."""
    names = {
        str(s.get("apiId")): str((s.get("apiInfo") or {}).get("name") or s.get("apiId"))
        for s in subscriptions
        if str((s.get("apiInfo") or {}).get("type") or "").upper() in WEBSUB_TYPES
    }
    if not names:
        return None
    try:
        found = await page.api(
            "GET", "/webhooks/subscriptions", params={"applicationId": app_id, "limit": 100}
        )
    except ApiError:
        return []
    return [_row(item, names) for item in found.get("list", []) if isinstance(item, dict)]
