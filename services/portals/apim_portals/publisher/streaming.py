"""Streaming APIs (WebSocket, SSE, WebSub) in the Publisher portal: their tabs, the properties an
AsyncAPI import is given, the topics form and the subscription tiers they may offer.

A streaming API's operations are its topics; ``PUT /apis/{apiId}/topics`` takes them by name
(no slashes) and mode (SUBSCRIBE or PUBLISH), so the form shows each target without its leading
slash.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from apim_portals.portal_forms import PUBLISHER_API, quiet
from apim_portals.web import Page, form_str

# Publisher v4's streaming API types (apim_publisher.apis.schemas.STREAMING_TYPES).
STREAMING_TYPES = frozenset(("WS", "WEBSUB", "SSE", "WEBHOOK", "ASYNC"))
TOPIC_MODES = ("SUBSCRIBE", "PUBLISH")
TYPE_NAMES = {"WS": "WebSocket", "SSE": "Server-Sent Events", "WEBSUB": "WebSub", "WEBHOOK": "WebHook"}


def is_streaming(api: dict[str, Any]) -> bool:
    return str(api.get("type") or "HTTP").upper() in STREAMING_TYPES


# The tabs only streaming APIs have.
TABS = ("topics",)


def tabs(api: dict[str, Any], every: tuple[str, ...]) -> tuple[str, ...]:
    """A streaming API has topics where an HTTP API has resources."""
    if not is_streaming(api):
        return every
    return tuple("topics" if t == "resources" else t for t in every)


def import_properties(form: FormData, info: dict[str, Any]) -> dict[str, Any]:
    """``additionalProperties`` of ``import-asyncapi``: what the form says, else the document's.

    The backend is the endpoint given, else the document's first server, except for WebSub,
    whose events are posted to the gateway's hub rather than fetched from a backend.
    """
    kind = str(info.get("protocol") or "WS")
    properties: dict[str, Any] = {
        "name": form_str(form, "name") or info.get("name"),
        "version": form_str(form, "version") or info.get("version"),
        "context": form_str(form, "context") or info.get("context"),
    }
    endpoints = [str(e) for e in info.get("endpoints") or []]
    endpoint = form_str(form, "endpoint") or (endpoints[0] if endpoints and kind != "WEBSUB" else "")
    if endpoint:
        scheme = "ws" if endpoint.startswith(("ws://", "wss://")) else "http"
        properties["endpointConfig"] = {
            "endpoint_type": scheme,
            "production_endpoints": {"url": endpoint},
            "sandbox_endpoints": {"url": endpoint},
        }
    return {k: v for k, v in properties.items() if v}


def import_notice(api: dict[str, Any], info: dict[str, Any]) -> str:
    kind = str(api.get("type") or info.get("protocol") or "")
    return (
        f"API {api['name']} imported as a {kind} API ({TYPE_NAMES.get(kind, kind)}) "
        f"from AsyncAPI {info.get('asyncAPIVersion') or ''}".rstrip()
    )


async def topics_context(page: Page, api: dict[str, Any]) -> dict[str, Any]:
    """The topics as form rows, each with its description from the AsyncAPI definition."""
    definition = await quiet(page, PUBLISHER_API, f"/apis/{api['id']}/asyncapi", {})
    channels = definition.get("channels") if isinstance(definition, dict) else None
    channels = channels if isinstance(channels, dict) else {}
    rows = []
    for op in api.get("operations") or []:
        target = str(op.get("target") or "")
        channel = channels.get(target) or channels.get(target.lstrip("/")) or {}
        description = channel.get("description") if isinstance(channel, dict) else None
        rows.append(
            {
                "name": target.lstrip("/"),
                "mode": str(op.get("verb") or "SUBSCRIBE").upper(),
                "description": description or "",
            }
        )
    return {"topics": rows, "modes": TOPIC_MODES}


def read_topics(form: FormData) -> dict[str, Any]:
    """``TopicList`` from the form: the kept rows as edited, then the new one if named."""
    wanted = []
    rows = sorted({int(key[5:]) for key in form if key.startswith("name-") and key[5:].isdigit()})
    for index in rows:
        if form.get(f"remove-{index}") == "on" or not form_str(form, f"name-{index}"):
            continue
        wanted.append(_topic(form, f"-{index}"))
    if form_str(form, "new_name"):
        wanted.append(_topic(form, "", prefix="new_"))
    return {"count": len(wanted), "list": wanted}


def _topic(form: FormData, suffix: str, prefix: str = "") -> dict[str, Any]:
    topic: dict[str, Any] = {
        "name": form_str(form, f"{prefix}name{suffix}"),
        "mode": form_str(form, f"{prefix}mode{suffix}", "SUBSCRIBE"),
    }
    description = form_str(form, f"{prefix}description{suffix}")
    if description:
        topic["description"] = description
    return topic


def _tier(policy: dict[str, Any]) -> dict[str, Any]:
    """One shape for the two listings: HTTP tiers by ``name``, streaming tiers by ``policyName``."""
    limit = policy.get("defaultLimit") or {}
    events = limit.get("eventCount") or {}
    if events:
        quota = f"{events.get('eventCount')} events per {events.get('timeUnit')}"
    elif policy.get("requestCount"):
        quota = f"{policy['requestCount']} requests per {policy.get('timeUnit') or 'min'}"
    else:
        quota = ""
    return {
        "name": str(policy.get("policyName") or policy.get("name") or ""),
        "description": policy.get("description") or "",
        "quota": quota,
        "subscriberCount": policy.get("subscriberCount"),
    }


async def subscription_tiers(page: Page, api: dict[str, Any]) -> list[dict[str, Any]]:
    """The business plans the API may offer: event-count tiers for a streaming API, request tiers
    for the others (the Publisher lists the two apart)."""
    path = (
        "/throttling-policies/streaming/subscription"
        if is_streaming(api)
        else "/throttling-policies/subscription"
    )
    found = await quiet(page, PUBLISHER_API, path, {"list": []}, params={"limit": 100})
    return [t for t in map(_tier, found.get("list", [])) if t["name"]]
