"""Policies: the request flow (global policies, then the API's or the operation's, in order)."""

from __future__ import annotations

from apim_gateway.context import Exchange, GatewayResponse
from apim_gateway.policies import Chain


async def request_flow(chain: Chain, exchange: Exchange) -> None:
    """A policy's ``Reply`` becomes ``exchange.response`` and ends the flow: no backend call."""
    if chain.needs_request_body:
        await exchange.request_body()
    for policy in chain.request:
        reply = await policy.on_request(exchange)
        if reply is not None:
            exchange.response = GatewayResponse(reply.status, reply.headers, reply.body)
            return
