"""The marketplace assistant panel of the catalog and the API chat panel of an API's page.

API chat runs here, in the portal: it asks devportal-api for the next call, makes that call
through the gateway with the credential the user picked for try-it, and posts the response back,
until the scenario is complete. devportal-api never sees the user's credential. A call that may
change data (any method but GET, HEAD and OPTIONS) is shown first and made only once the user
approves that very call; a call whose URL would leave the API's gateway URL is refused.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter
from fastapi.responses import Response

from apim_portals.client import ApiError
from apim_portals.devportal.pages import gateway_base
from apim_portals.sessions import TryItCredential
from apim_portals.web import DevportalPage, form_str

router = APIRouter(prefix="/devportal", include_in_schema=False)

# A scenario stops after this many calls.
MAX_CALLS = 10
# How much of each response the panel shows.
SHOWN = 2000
# Methods that only read: made without asking.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OFF_GATEWAY = "Refused: this call's URL is not under the API's gateway URL"

DevportalCall = Callable[..., Awaitable[Any]]


@dataclass
class Call:
    method: str
    path: str
    status: int | None
    body: str


@router.post("/assistant")
async def ask_assistant(page: DevportalPage) -> Response:
    form = await page.form()
    query = form_str(form, "query")
    if not query:
        return page.render("partials/assistant_answer.html", answer=None, query="")
    try:
        client = page.request.client
        answer = await page.api(
            "POST",
            "/marketplace-assistant/chat",
            json={"query": query, "history": []},
            on_behalf_of=client.host if client is not None else None,
        )
    except ApiError as exc:
        return page.error(exc)
    return page.render("partials/assistant_answer.html", answer=answer, query=query)


def _credential_headers(credential: TryItCredential | None) -> dict[str, str]:
    if credential is None:
        return {}
    if credential.header == "authorization":
        return {"Authorization": f"Bearer {credential.value}"}
    return {credential.header: credential.value}


def _shown(response: httpx.Response) -> tuple[Any, str]:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    text = response.text
    return body, text[:SHOWN] + ("…" if len(text) > SHOWN else "")


def planned_call(resource: dict[str, Any]) -> str:
    """``METHOD /path?query``: what the user approves, and what must match to be made."""
    inputs = resource.get("inputs") or {}
    return f"{resource.get('method')} {inputs.get('requestPath') or resource.get('path')}"


def on_gateway(base_url: str, target: str) -> bool:
    """Whether ``base_url + target`` stays under the gateway URL (same scheme, host, port, path)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    try:
        base, url = httpx.URL(base_url), httpx.URL(base_url + target)
    except httpx.InvalidURL:
        return False
    same_origin = (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
    return same_origin and url.path.startswith(base.path.rstrip("/") + "/")


async def run_scenario(
    call_devportal: DevportalCall,
    http: httpx.AsyncClient,
    base_url: str,
    credential: TryItCredential | None,
    api_id: str,
    command: str,
    *,
    request_id: str | None = None,
    approved: str | None = None,
) -> tuple[list[Call], dict[str, Any]]:
    """The calls of ``command`` made through the gateway, and devportal-api's last answer.

    Reading calls are made as they come. The run stops before a call that may change data: the
    last answer then holds that call (``IN_PROGRESS``), and the run continues with the same
    ``request_id`` and ``approved`` naming that call (:func:`planned_call`)."""
    path = f"/apis/{quote(api_id, safe='')}/api-chat"
    body: dict[str, Any] = {"apiChatRequestId": request_id or str(uuid.uuid4())}
    if request_id is None:
        body["command"] = command
    request_id = body["apiChatRequestId"]
    calls: list[Call] = []
    reply: dict[str, Any] = {}
    for _ in range(MAX_CALLS + 1):
        reply = await call_devportal("POST", path, params={"apiChatAction": "EXECUTE"}, json=body)
        resource = reply.get("resource") if reply.get("taskStatus") == "IN_PROGRESS" else None
        if not resource or len(calls) == MAX_CALLS:
            break
        method = str(resource["method"]).upper()
        inputs = resource.get("inputs") or {}
        target = str(inputs.get("requestPath") or resource["path"])
        if not on_gateway(base_url, target):
            calls.append(Call(method, target, None, OFF_GATEWAY))
            reply = {"taskStatus": "TERMINATED", "result": OFF_GATEWAY}
            break
        if method not in SAFE_METHODS:
            if approved != planned_call(resource):
                break
            approved = None
        headers = {
            **_credential_headers(credential),
            **{k: str(v) for k, v in (inputs.get("headers") or {}).items()},
        }
        try:
            response = await http.request(
                method, base_url + target, headers=headers, json=inputs.get("requestBody")
            )
            status: int | None = response.status_code
            decoded, shown = _shown(response)
        except httpx.HTTPError as exc:
            status, decoded, shown = None, None, f"The gateway did not answer: {type(exc).__name__}"
        calls.append(Call(method, target, status, shown))
        body = {
            "apiChatRequestId": request_id,
            "response": {"code": status or 502, "path": target, "headers": {}, "body": decoded},
        }
    reply.setdefault("apiChatRequestId", request_id)
    return calls, reply


@router.post("/apis/{api_id}/api-chat")
async def api_chat(page: DevportalPage, api_id: str) -> Response:
    session = page.user()
    form = await page.form()
    command = form_str(form, "command")
    request_id = form_str(form, "apiChatRequestId") or None
    if not command:
        return page.render("partials/api_chat_result.html", calls=[], reply={}, command="", credential=None)
    try:
        api = await page.api("GET", f"/apis/{quote(api_id, safe='')}")
        calls, reply = await run_scenario(
            page.api,
            page.platform.http,
            gateway_base(page.settings.gateway_url, api),
            session.try_it,
            api_id,
            command,
            request_id=request_id,
            approved=form_str(form, "approve") or None,
        )
    except ApiError as exc:
        return page.error(exc)
    resource = reply.get("resource") if reply.get("taskStatus") == "IN_PROGRESS" else None
    return page.render(
        "partials/api_chat_result.html",
        calls=calls,
        reply=reply,
        command=command,
        credential=session.try_it,
        api_id=api_id,
        planned=planned_call(resource) if resource else None,
        planned_body=json.dumps(resource["inputs"].get("requestBody"), indent=2)
        if resource and (resource.get("inputs") or {}).get("requestBody") is not None
        else None,
    )
