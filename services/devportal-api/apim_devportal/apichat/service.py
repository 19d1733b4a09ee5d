"""API chat: PREPARE lists an API's operations as tools with sample queries; EXECUTE answers the
next call to make until the scenario is COMPLETED. The client (portal or script) makes each call
through the gateway with the user's own token and posts the response back: this service never
sees the token. Progress is kept per user and ``apiChatRequestId`` in this process's memory (as
WSO2 caches it), for ``SESSION_TTL`` seconds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from apim_common.errors import BadRequest
from apim_devportal.apichat.planner import Memory, Planner, split_steps
from apim_devportal.apichat.schemas import (
    ApiChatRequest,
    ApiChatResponse,
    ApiResponse,
    ApiSpec,
    Resource,
    SampleQuery,
    TaskStatus,
)
from apim_devportal.apichat.tools import Tool, from_openapi, from_public
from apim_devportal.assistant.llm import ChatModel, ModelUnavailable
from apim_devportal.assistant.service import Assistant
from apim_devportal.catalog import service as catalog
from apim_devportal.catalog.models import CatalogApi

log = logging.getLogger(__name__)

SESSION_TTL = 1800.0
MAX_SESSIONS = 1000
# A scenario stops after this many calls, whatever a model keeps asking for.
MAX_STEPS = 20
SAMPLE_QUERIES = 5


@dataclass
class Session:
    command: str
    tools: list[Tool]
    steps: list[str]
    memory: Memory = field(default_factory=Memory)
    position: int = 0
    pending: tuple[Tool, dict[str, Any]] | None = None
    calls: list[tuple[Tool, dict[str, Any], int | None]] = field(default_factory=list)
    touched: float = field(default_factory=time.monotonic)


@dataclass
class Sessions:
    items: OrderedDict[tuple[str, str], Session] = field(default_factory=OrderedDict)

    def get(self, key: tuple[str, str]) -> Session | None:
        self._expire()
        session = self.items.get(key)
        if session is not None:
            session.touched = time.monotonic()
            self.items.move_to_end(key)
        return session

    def put(self, key: tuple[str, str], session: Session) -> None:
        self.items[key] = session
        self.items.move_to_end(key)
        while len(self.items) > MAX_SESSIONS:
            self.items.popitem(last=False)

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, s in self.items.items() if now - s.touched > SESSION_TTL]:
            del self.items[key]


@dataclass
class ApiChat:
    planner: Planner
    sessions: Sessions = field(default_factory=Sessions)
    model: ChatModel | None = None


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """API chat shares the assistant's model client (made by its lifespan). Its planner matches
    steps by shared words: on the 20 scenarios of the bench that picked 29/29 operations against
    28/29 with the embedding model's similarity added, so the model is not used here."""
    assistant: Assistant = app.state.assistant
    app.state.api_chat = ApiChat(Planner(None), model=assistant.model)
    yield


def tools_of(api: CatalogApi, gateway_url: str) -> tuple[str | None, list[Tool]]:
    urls = catalog.endpoint_urls(api, gateway_url)
    service_url = next((u.URLs.https or u.URLs.http for u in urls if u.URLs.https or u.URLs.http), None)
    return service_url, from_openapi(catalog.definition(api, gateway_url))


def sample_queries(tools: list[Tool]) -> list[SampleQuery]:
    found: list[SampleQuery] = []
    for tool in tools:
        path_params = [p.name for p in tool.parameters if p.location == "path"]
        thing = tool.entity or "resource"
        if tool.method == "GET" and path_params:
            query = f"Get the {thing} with {path_params[0]} 1"
        elif tool.method == "GET":
            query = tool.description
        elif tool.method == "POST":
            query = (
                f"Create a {thing}, then get it by its id"
                if any(t.method == "GET" and t.entity == thing and t is not tool for t in tools)
                else f"Create a {thing}"
            )
        elif tool.method == "DELETE" and path_params:
            query = f"Delete the {thing} with {path_params[0]} 1"
        else:
            continue
        found.append(SampleQuery(scenario=tool.description, query=query))
        if len(found) == SAMPLE_QUERIES:
            break
    return found


def prepare(api: CatalogApi, gateway_url: str) -> ApiChatResponse:
    service_url, tools = tools_of(api, gateway_url)
    return ApiChatResponse(
        apiSpec=ApiSpec(serviceUrl=service_url, tools=[t.public() for t in tools]),
        queries=sample_queries(tools),
    )


def _resource(tool: Tool, inputs: dict[str, Any]) -> Resource:
    return Resource(method=tool.method, path=tool.path, inputs=inputs)


def next_call(planner: Planner, session: Session) -> tuple[Tool, dict[str, Any]] | None:
    """The call of the session's next step, or None when every step was made."""
    if session.position >= len(session.steps):
        return None
    step = session.steps[session.position]
    tool = planner.choose(step, session.tools, session.memory)
    return tool, planner.inputs(step, tool, session.memory)


def record(session: Session, response: ApiResponse) -> None:
    if session.pending is None:
        return
    tool, inputs = session.pending
    session.memory.remember(tool, inputs, response.body)
    session.calls.append((tool, inputs, response.code))
    session.pending = None
    session.position += 1


def summary(session: Session, last: ApiResponse | None) -> str:
    lines = [f"Ran {len(session.calls)} call(s) for “{session.command}”:"]
    for number, (tool, inputs, code) in enumerate(session.calls, start=1):
        lines.append(
            f"{number}. {tool.method} {inputs.get('requestPath') or tool.path} -> {code or 'no status'}"
        )
    failed = [code for _, _, code in session.calls if code is not None and code >= 400]
    lines.append("Some calls failed." if failed else "Every call succeeded.")
    if last is not None and last.body not in (None, "", {}, []):
        lines.append("Last response: " + json.dumps(last.body, default=str)[:500])
    return "\n".join(lines)


async def _model_call(model: ChatModel, session: Session) -> tuple[Tool, dict[str, Any]] | str | None:
    """Ask the model for the next call: a (tool, inputs), None when it says it is done, or the
    string ``"offline"`` when its reply is unusable."""
    done = [
        {"call": f"{tool.method} {inputs.get('requestPath')}", "status": code}
        for tool, inputs, code in session.calls
    ]
    messages = [
        {
            "role": "system",
            "content": (
                "You test an HTTP API. Given the tools, the user's scenario and the calls made so far "
                'with their status and last response, reply with a JSON object: {"done": true, '
                '"summary": "..."} when the scenario is complete, else {"tool": <tool name>, '
                '"parameters": {<path and query values>}, "requestBody": {...} or null}.\n'
                "Tools: " + json.dumps([t.public() for t in session.tools])
            ),
        },
        {"role": "user", "content": json.dumps({"scenario": session.command, "calls": done})},
    ]
    try:
        reply = json.loads(await model.complete(messages, json_reply=True))
    except (ModelUnavailable, ValueError):
        return "offline"
    if not isinstance(reply, dict):
        return "offline"
    if reply.get("done"):
        return None
    tool = next((t for t in session.tools if t.name == reply.get("tool")), None)
    if tool is None:
        return "offline"
    parameters = dict(reply.get("parameters") or {})
    path = tool.path
    for name, value in parameters.items():
        path = path.replace("{" + name + "}", str(value))
    query = {
        p.name: parameters[p.name] for p in tool.parameters if p.location == "query" and p.name in parameters
    }
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    inputs: dict[str, Any] = {
        "parameters": parameters,
        "queryParameters": query,
        "headers": {},
        "requestPath": path,
    }
    if isinstance(reply.get("requestBody"), dict):
        inputs["requestBody"] = reply["requestBody"]
    return tool, inputs


async def execute(
    chat: ApiChat, api: CatalogApi, gateway_url: str, user: str, request: ApiChatRequest
) -> ApiChatResponse:
    request_id = request.apiChatRequestId or str(uuid.uuid4())
    key = (user, request_id)
    session = chat.sessions.get(key)
    if request.response is None or session is None:
        if request.response is not None:
            raise BadRequest(f"No API chat in progress with id '{request_id}'; start again with the command")
        if not request.command or not request.command.strip():
            raise BadRequest("An API chat needs a command: the scenario to test")
        tools = from_public(request.apiSpec.tools) if request.apiSpec and request.apiSpec.tools else []
        if not tools:
            tools = tools_of(api, gateway_url)[1]
        if not tools:
            raise BadRequest(f"API {api.name} has no operations to test")
        session = Session(request.command.strip(), tools, split_steps(request.command))
        chat.sessions.put(key, session)
    else:
        record(session, request.response)
    planned: tuple[Tool, dict[str, Any]] | str | None = "offline"
    if chat.model is not None and len(session.calls) < MAX_STEPS:
        planned = await _model_call(chat.model, session)
    if isinstance(planned, str):
        planned = await anyio.to_thread.run_sync(next_call, chat.planner, session)
    if planned is None or len(session.calls) >= MAX_STEPS:
        return ApiChatResponse(
            apiChatRequestId=request_id,
            taskStatus=TaskStatus.COMPLETED,
            result=summary(session, request.response),
        )
    session.pending = planned
    return ApiChatResponse(
        apiChatRequestId=request_id, taskStatus=TaskStatus.IN_PROGRESS, resource=_resource(*planned)
    )
