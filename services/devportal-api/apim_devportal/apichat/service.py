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
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from apim_common.errors import BadRequest
from apim_devportal.apichat.planner import Memory, Planner, request_path, split_steps
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
from apim_devportal.apichat.validate import InvalidCall, check
from apim_devportal.assistant.llm import ChatModel, ModelUnavailable, ToolCall
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
    """API chat shares the assistant's embedding model and model client (made by its lifespan):
    the planner compares steps with operations by meaning (benchmarks/eval_chat.py measures it)."""
    assistant: Assistant = app.state.assistant
    app.state.api_chat = ApiChat(Planner(assistant.embedder), model=assistant.model)
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


FINISH = "finish_scenario"
SYSTEM_PROMPT = (
    "You test an HTTP API for a user by calling its operations, one call per turn. Call the tool of "
    "the next operation the user's scenario needs, with the path, query and body values the "
    "scenario states or that an earlier response returned; call " + FINISH + " once every step of "
    "the scenario was made. Never invent values the scenario does not give."
)


def function_name(tool: Tool) -> str:
    """The tool's name as a function name models accept (letters, digits, _ and -, 64 at most)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", tool.name)[:64]


def model_tools(tools: list[Tool]) -> list[dict[str, Any]]:
    """The API's operations as OpenAI-style function tools, built from its definition."""
    found = []
    for tool in tools:
        properties: dict[str, Any] = {}
        required = []
        for p in tool.parameters:
            if p.location == "header":
                continue
            described = p.description or f"{p.location} parameter"
            properties[p.name] = {**(p.schema or {"type": "string"}), "description": described}
            if p.required:
                required.append(p.name)
        if tool.body is not None:
            properties["requestBody"] = {
                "type": "object",
                "properties": tool.body,
                "required": list(tool.body_required),
                "description": "the JSON request body",
            }
            if tool.body_required:
                required.append("requestBody")
        description = f"{tool.method} {tool.path}: {tool.description}"
        if tool.details:
            description += f". {tool.details}"
        found.append(
            {
                "type": "function",
                "function": {
                    "name": function_name(tool),
                    "description": description,
                    "parameters": {"type": "object", "properties": properties, "required": required},
                },
            }
        )
    finish = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": []}
    found.append(
        {
            "type": "function",
            "function": {
                "name": FINISH,
                "description": "The scenario is complete",
                "parameters": finish,
            },
        }
    )
    return found


def model_messages(session: Session) -> list[dict[str, str]]:
    done = [
        {"call": f"{tool.method} {inputs.get('requestPath')}", "status": code}
        for tool, inputs, code in session.calls
    ]
    last = session.memory.last_body
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {
            "role": "user",
            "content": json.dumps(
                {"scenario": session.command, "calls made": done, "last response": last}, default=str
            )[:8000],
        },
    ]


def checked_call(tool: Tool, parameters: dict[str, Any], body: Any) -> tuple[Tool, dict[str, Any]]:
    """The call's inputs once its values fit the operation's schema (else :class:`InvalidCall`)."""
    typed, typed_body = check(tool, parameters, body)
    query = {p.name: typed[p.name] for p in tool.parameters if p.location == "query" and p.name in typed}
    inputs: dict[str, Any] = {
        "parameters": typed,
        "queryParameters": query,
        "headers": {},
        "requestPath": request_path(tool, typed, query),
    }
    if tool.body is not None:
        inputs["requestBody"] = typed_body or {}
    return tool, inputs


async def _model_call(model: ChatModel, session: Session) -> tuple[Tool, dict[str, Any]] | str | None:
    """Ask the model for the next call: a (tool, inputs) whose values fit the operation's schema,
    None when it says the scenario is done, or the string ``"offline"`` when its answer is unusable
    (then the offline planner plans the step)."""
    try:
        answer = await model.call_tool(model_messages(session), model_tools(session.tools))
    except ModelUnavailable:
        return "offline"
    if isinstance(answer, str):
        # A model without tool calls may answer {"tool": ..., "parameters": ..., "requestBody": ...}.
        try:
            reply = json.loads(answer)
        except ValueError:
            return "offline"
        if not isinstance(reply, dict):
            return "offline"
        if reply.get("done"):
            return None
        answer = ToolCall(
            str(reply.get("tool")),
            {**(reply.get("parameters") or {}), "requestBody": reply.get("requestBody")},
        )
    if answer.name == FINISH:
        return None
    tool = next((t for t in session.tools if answer.name in (function_name(t), t.name)), None)
    if tool is None:
        return "offline"
    arguments = dict(answer.arguments)
    body = arguments.pop("requestBody", None)
    try:
        return checked_call(tool, arguments, body)
    except InvalidCall as exc:
        log.warning("API chat: the model's call of %s does not fit its schema: %s", tool.name, exc)
        return "offline"


async def plan_next(chat: ApiChat, session: Session) -> tuple[Tool, dict[str, Any]] | None:
    """The session's next call: the configured model's, else the offline planner's."""
    planned: tuple[Tool, dict[str, Any]] | str | None = "offline"
    if chat.model is not None and len(session.calls) < MAX_STEPS:
        planned = await _model_call(chat.model, session)
    if isinstance(planned, str):
        planned = await anyio.to_thread.run_sync(next_call, chat.planner, session)
    return planned


async def execute(
    chat: ApiChat, api: CatalogApi, gateway_url: str, user: str, request: ApiChatRequest
) -> ApiChatResponse:
    request_id = request.apiChatRequestId or str(uuid.uuid4())
    key = (user, request_id)
    session = chat.sessions.get(key)
    if (
        session is not None
        and session.pending is not None
        and request.response is None
        and not request.command
    ):
        # The client asks again for the call it was given (to show it before making it).
        return ApiChatResponse(
            apiChatRequestId=request_id,
            taskStatus=TaskStatus.IN_PROGRESS,
            resource=_resource(*session.pending),
        )
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
    planned = await plan_next(chat, session)
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
