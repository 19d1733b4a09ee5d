"""Respond: the response flow, then the answer, streamed from the backend when no policy needs
the body whole; the fault flow on an error answer."""

from __future__ import annotations

import logging

from starlette.types import Send

from apim_gateway.context import Exchange, GatewayResponse
from apim_gateway.errors import GatewayError, error_body
from apim_gateway.policies import Chain
from apim_gateway.request.outcome import Outcome
from apim_gateway.request.sse import EventStream
from apim_gateway.upstream import UpstreamError, UpstreamResponse

logger = logging.getLogger(__name__)

_RESPONSE_HOP_BY_HOP = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"upgrade", b"transfer-encoding")
)
_JSON = (b"content-type", b"application/json")


async def response_flow(chain: Chain, exchange: Exchange, upstream: UpstreamResponse | None) -> None:
    """The response policies, on the backend's answer or on a request policy's ``Reply``."""
    if upstream is not None:
        exchange.response = GatewayResponse(
            upstream.status,
            [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in upstream.headers],
            await upstream.read() if chain.needs_response_body else None,
        )
    for policy in chain.response:
        await policy.on_response(exchange)


async def send_response(
    send: Send,
    exchange: Exchange,
    upstream: UpstreamResponse | None,
    outcome: Outcome,
    events: EventStream | None = None,
) -> None:
    """``exchange.response`` as the policies left it: their body whole, else the backend's streamed."""
    response = exchange.response
    assert response is not None
    outcome.status = response.status
    out_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if response.body is not None or upstream is None:
        if upstream is not None:
            upstream.close()
        await send_whole(send, response.status, out_headers, response.body or b"", outcome)
    else:
        await stream(send, upstream, out_headers, outcome, status=response.status, events=events)


async def stream(
    send: Send,
    upstream: UpstreamResponse,
    headers: list[tuple[bytes, bytes]],
    outcome: Outcome,
    *,
    status: int | None = None,
    events: EventStream | None = None,
) -> None:
    out = outcome.response_headers = [(k, v) for k, v in headers if k.lower() not in _RESPONSE_HOP_BY_HOP]
    if events is not None:  # an SSE API's stream, event by event
        await events.relay(send, upstream, out, status or upstream.status)
        return
    if upstream.complete:
        body = await upstream.read()
        await send({"type": "http.response.start", "status": status or upstream.status, "headers": out})
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": status or upstream.status, "headers": out})
    try:
        async for chunk in upstream.iter_body():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except UpstreamError:
        # Too late for an error answer: cut the response short so the client sees it broke.
        logger.warning("the backend broke off a response body")
        raise
    await send({"type": "http.response.body", "body": b""})


async def answer_error(send: Send, error: GatewayError, outcome: Outcome) -> None:
    """A refusal before the policies run: the error answer as it is, no fault flow."""
    outcome.status = error.status
    outcome.code = error.code
    if error.code.startswith("9008") and error.status in (429, 503) and error.code != "900805":
        outcome.throttled = error.code
    body = error_body(error.code, error.message, error.description)
    await send_whole(send, error.status, [_JSON, *error.headers], body, outcome)


async def fault(
    send: Send,
    exchange: Exchange,
    chain: Chain,
    status: int,
    error: tuple[str, str],
    description: str,
    outcome: Outcome,
) -> None:
    """The fault flow on the error answer, then that answer as the fault policies left it."""
    code, message = error
    outcome.code = code
    exchange.variables["fault"] = {"code": code, "message": message, "description": description}
    exchange.response = GatewayResponse(
        status, [("content-type", "application/json")], error_body(code, message, description)
    )
    for policy in chain.fault:
        try:
            await policy.on_fault(exchange)
        except Exception:
            logger.exception("fault policy %s failed", type(policy).__name__)
    response = exchange.response
    outcome.status = response.status
    await send_whole(
        send,
        response.status,
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers],
        response.body or b"",
        outcome,
    )


async def send_whole(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, outcome: Outcome
) -> None:
    """The whole answer; its headers noted in ``outcome`` for the metrics and the analytics event."""
    headers = outcome.response_headers = [
        (k, v) for k, v in headers if k.lower() not in (b"content-length", b"transfer-encoding")
    ]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
