"""A real GraphQL backend for tests: ``python -m tests.support.graphql_backend PORT`` (uvicorn).

A small graphql-core app over the films schema below (``SCHEMA``, the one WSO2's documentation
uses for its depth and complexity examples), executing what it is sent:

POST /...        ``{query, variables, operationName}`` as JSON; the answer's ``extensions`` say
                 how the request came (``method``, ``contentType``), so a test sees what a
                 gateway forwarded
WebSocket /...   subscriptions, with either subprotocol: ``graphql-transport-ws``
                 (``subscribe``/``next``) or the legacy ``graphql-ws`` (``start``/``data``);
                 ``counter(upTo: n)`` sends 1..n, then completes

``graphql_backend()`` starts it on a free port for the length of a ``with`` block.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult, GraphQLSchema, build_schema, graphql, parse, subscribe, validate
from starlette.types import Receive, Scope, Send

from tests.support.processes import module_process

SCHEMA = """\
type Query {
  allFilms(first: Int, last: Int): [Film]
  film(id: ID!): Film
  allPlanets(first: Int, limit: Int): [Planet]
  hello(name: String): String
}

type Mutation {
  addFilm(title: String!): Film
  rateFilm(id: ID!, stars: Int!): Film
}

type Subscription {
  counter(upTo: Int!): Int
  filmAdded: Film
}

type Film {
  id: ID
  title: String
  director: String
  producers: [String]
  createdAt: String
  planets(first: Int): [Planet]
  Species: [Species]
}

type Planet {
  id: ID
  climate: String
  residents: [Person]
  films(first: Int): [Film]
}

type Species {
  id: ID
  films: [Film]
}

type Person {
  eyeColor: String
  films: [Film]
}
"""

PROTOCOLS = ("graphql-transport-ws", "graphql-ws")


def _film(number: int) -> dict[str, Any]:
    return {
        "id": str(number),
        "title": f"Film {number}",
        "director": "George Lucas",
        "producers": ["Gary Kurtz"],
        "createdAt": "1977-05-25",
        "planets": lambda info, first=2: [_planet(number * 10 + i) for i in range(first)],
        "Species": lambda info: [{"id": "1", "films": lambda info: [_film(number)]}],
    }


def _planet(number: int) -> dict[str, Any]:
    return {
        "id": str(number),
        "climate": "arid",
        "residents": lambda info: [{"eyeColor": "blue", "films": lambda info: [_film(1)]}],
        "films": lambda info, first=1: [_film(i + 1) for i in range(first)],
    }


class Root:
    """The root value: what each root field answers."""

    def allFilms(self, info: Any, first: int = 3, last: int | None = None) -> list[dict[str, Any]]:
        return [_film(i + 1) for i in range(last or first)]

    def film(self, info: Any, id: str) -> dict[str, Any]:
        return _film(int(id))

    def allPlanets(self, info: Any, first: int = 2, limit: int | None = None) -> list[dict[str, Any]]:
        return [_planet(i + 1) for i in range(limit or first)]

    def hello(self, info: Any, name: str = "world") -> str:
        return f"hello {name}"

    def addFilm(self, info: Any, title: str) -> dict[str, Any]:
        return {**_film(99), "title": title}

    def rateFilm(self, info: Any, id: str, stars: int) -> dict[str, Any]:
        return _film(int(id))


def build() -> GraphQLSchema:
    schema = build_schema(SCHEMA)
    subscription = schema.subscription_type
    assert subscription is not None

    async def counter(root: Any, info: Any, upTo: int) -> AsyncIterator[int]:
        for n in range(1, upTo + 1):
            yield n
            await asyncio.sleep(0.01)

    async def film_added(root: Any, info: Any) -> AsyncIterator[dict[str, Any]]:
        yield _film(7)

    subscription.fields["counter"].subscribe = counter
    subscription.fields["counter"].resolve = lambda value, info, **args: value
    subscription.fields["filmAdded"].subscribe = film_added
    subscription.fields["filmAdded"].resolve = lambda value, info, **args: value
    return schema


_SCHEMA = build()
_ROOT = Root()


def _result(result: ExecutionResult) -> dict[str, Any]:
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [error.formatted for error in result.errors]
    return answer


async def _http(scope: Scope, receive: Receive, send: Send) -> None:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = bool(message.get("more_body"))
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    status = 200
    try:
        request = json.loads(b"".join(chunks) or b"{}")
        result = await graphql(
            _SCHEMA,
            request["query"],
            root_value=_ROOT,
            variable_values=request.get("variables"),
            operation_name=request.get("operationName"),
        )
        answer = _result(result)
    except (ValueError, KeyError, TypeError) as exc:
        status, answer = 400, {"errors": [{"message": f"not a GraphQL request: {exc}"}]}
    answer["extensions"] = {
        "method": scope["method"],
        "contentType": headers.get("content-type"),
        "query": scope["query_string"].decode("latin-1"),
    }
    body = json.dumps(answer).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _Socket:
    """One subscription connection, in either protocol."""

    def __init__(self, send: Send, protocol: str) -> None:
        self.send = send
        self.legacy = protocol == "graphql-ws"
        self.running: dict[str, asyncio.Task[None]] = {}

    async def message(self, payload: dict[str, Any]) -> None:
        await self.send({"type": "websocket.send", "text": json.dumps(payload)})

    async def run(self, operation_id: str, payload: dict[str, Any]) -> None:
        legacy = self.legacy
        try:
            document = parse(payload["query"])
            errors = validate(_SCHEMA, document)
            if errors:
                await self.message(
                    {"id": operation_id, "type": "error", "payload": [e.formatted for e in errors]}
                )
                return
            stream: Any = subscribe(
                _SCHEMA, document, root_value=_ROOT, variable_values=payload.get("variables")
            )
            if inspect.isawaitable(stream):
                stream = await stream
            if isinstance(stream, ExecutionResult):
                await self.message({"id": operation_id, "type": "error", "payload": _result(stream)})
                return
            async for result in stream:
                kind = "data" if legacy else "next"
                await self.message({"id": operation_id, "type": kind, "payload": _result(result)})
            await self.message({"id": operation_id, "type": "complete"})
        finally:
            self.running.pop(operation_id, None)

    async def handle(self, frame: dict[str, Any]) -> bool:
        """False once the client asked to end."""
        kind = frame.get("type")
        if kind == "connection_init":
            await self.message({"type": "connection_ack"})
        elif kind == "ping":
            await self.message({"type": "pong"})
        elif kind in ("subscribe", "start"):
            operation_id = str(frame.get("id"))
            self.running[operation_id] = asyncio.create_task(self.run(operation_id, frame["payload"]))
        elif kind in ("complete", "stop"):
            task = self.running.pop(str(frame.get("id")), None)
            if task is not None:
                task.cancel()
        elif kind == "connection_terminate":
            return False
        return True


async def _websocket(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()  # websocket.connect
    offered = [p.strip() for p in scope.get("subprotocols") or ()]
    protocol = next((p for p in offered if p in PROTOCOLS), None)
    if protocol is None:
        await send({"type": "websocket.close", "code": 4406})
        return
    await send({"type": "websocket.accept", "subprotocol": protocol})
    socket = _Socket(send, protocol)
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            if not await socket.handle(json.loads(message.get("text") or message.get("bytes") or b"{}")):
                await send({"type": "websocket.close", "code": 1000})
                return
    finally:
        for task in list(socket.running.values()):
            task.cancel()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        await _http(scope, receive, send)
    elif scope["type"] == "websocket":
        await _websocket(scope, receive, send)


def graphql_backend(port: int | None = None) -> contextlib.AbstractContextManager[int]:
    """This backend in its own process on a free port: the port."""
    return module_process("tests.support.graphql_backend", port)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
