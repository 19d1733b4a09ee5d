"""addLogMessage: a log entry per message, in any flow.

A log hook: it only formats and hands a record to ``logging`` (whose handlers are the
application's), never awaits anything and swallows its own failures, so it cannot delay or fail
the message. The body is logged only when ``logPayload`` is set, as far as it is buffered, cut at
4 KiB. Credentials in headers are masked: the usual ones (``Authorization``, cookies, ``apikey``)
and the API's own API-key and OAuth header names, whatever it calls them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from apim_gateway.context import Exchange, GatewayResponse, Headers
from apim_gateway.policies.base import Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy

logger = logging.getLogger("apim_gateway.policies.log")

MAX_LOGGED_BODY = 4096
_SECRET_HEADERS = frozenset(("authorization", "proxy-authorization", "cookie", "set-cookie", "apikey"))


def _masked(headers: Headers, also: tuple[str, ...] = ()) -> dict[str, str]:
    """Header names arrive lower-cased; ``also``: the API's own credential headers (its API-key
    header and its OAuth header, which each API may rename)."""
    return {k: ("****" if k in _SECRET_HEADERS or k in also else v) for k, v in headers}


@register
class AddLogMessage(BuiltinPolicy):
    name = "addLogMessage"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.message: str = self.values["logMessage"] or ""
        self.log_headers: bool = self.values["logHeaders"]
        self.log_payload: bool = self.values["logPayload"]
        self.needs_request_body = self.log_payload
        self.needs_response_body = self.log_payload

    def _emit(self, flow: str, exchange: Exchange, headers: Headers | None, body: bytes | None) -> None:
        try:
            extra: dict[str, Any] = {
                "flow": flow,
                "api_id": exchange.api_id,
                "api_context": exchange.api_context,
                "api_version": exchange.api_version,
                "resource": exchange.resource,
                "method": exchange.request.method,
                "path": exchange.request.path,
            }
            if flow != "request" and exchange.response is not None:
                extra["status"] = exchange.response.status
            if self.log_headers and headers is not None:
                own = exchange.variables.get("credential_headers") or ()
                extra["headers"] = _masked(headers, tuple(h.lower() for h in own))
            if self.log_payload and body:
                extra["payload"] = body[:MAX_LOGGED_BODY].decode("utf-8", errors="replace")
            logger.info(
                "%s",
                self.message or f"{flow} of {exchange.request.method} {exchange.request.path}",
                extra={"policy": extra},
            )
        except Exception:  # a log hook never breaks the message it logs
            logger.debug("addLogMessage could not log", exc_info=True)

    async def on_request(self, exchange: Exchange) -> Reply | None:
        self._emit("request", exchange, exchange.request.headers, exchange.request.body)
        return None

    async def on_response(self, exchange: Exchange) -> None:
        response: GatewayResponse | None = exchange.response
        self._emit(
            "response", exchange, response.headers if response else None, response.body if response else None
        )

    async def on_fault(self, exchange: Exchange) -> None:
        response = exchange.response
        self._emit(
            "fault", exchange, response.headers if response else None, response.body if response else None
        )
