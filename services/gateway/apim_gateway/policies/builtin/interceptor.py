"""callInterceptorService: WSO2's request and response interceptor contract.

Request flow: ``POST {interceptorServiceURL}/api/v1/handle-request`` with JSON
``{requestHeaders, requestBody (base64), invocationContext, interceptorContext}`` (each part only
when listed in ``includes``). The service answers 200 with JSON, every field optional:

    {"directRespond": bool, "responseCode": int, "headersToAdd": {..}, "headersToReplace": {..},
     "headersToRemove": [..], "body": "<base64>", "interceptorContext": {..}}

``directRespond`` true answers the client with ``responseCode``, the headers to add/replace and
``body`` without calling the backend; otherwise the header changes and ``body`` apply to the
request. Response flow: ``POST .../api/v1/handle-response`` with ``{responseCode,
responseHeaders, responseBody, invocationContext, interceptorContext}``; the answer's
``responseCode``, header changes and ``body`` apply to the response. ``interceptorContext`` is
kept in ``exchange.variables["interceptor_context"]`` from the request to the response call.

An unreachable service, a timeout or an answer that is not such a JSON object fails the message
with 500 (code 101503 unreachable, 101504 timeout, 101500 bad answer): an interceptor that
guards a backend must not be skipped silently. Trailers and dynamic endpoints are not supported.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from typing import Any

from apim_gateway.context import Exchange, Headers, remove_header, set_header
from apim_gateway.policies.base import PolicyRefusal, Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy, body_replaced
from apim_gateway.policies.builtin.routing import join_target, split_url
from apim_gateway.upstream import UpstreamError, UpstreamTimeout

INCLUDES = frozenset(
    (
        "request_headers",
        "request_body",
        "request_trailers",
        "response_headers",
        "response_body",
        "response_trailers",
        "invocation_context",
        "interceptor_context",
    )
)
CONTEXT_VARIABLE = "interceptor_context"
REQUEST_ID_VARIABLE = "request_id"
_JSON_HEADERS = [(b"content-type", b"application/json"), (b"accept", b"application/json")]


class _BadAnswer(Exception):
    pass


def _header_map(headers: Headers) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in headers:
        merged[name] = f"{merged[name]},{value}" if name in merged else value
    return merged


def _string_map(answer: Mapping[str, Any], key: str) -> dict[str, str]:
    value = answer.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _BadAnswer(f"{key} must be an object of strings")
    return {str(k).lower(): v for k, v in value.items()}


def _apply_headers(headers: Headers, answer: Mapping[str, Any]) -> None:
    removals = answer.get("headersToRemove") or []
    if not isinstance(removals, list):
        raise _BadAnswer("headersToRemove must be an array")
    for name in removals:
        remove_header(headers, str(name).lower())
    for name, value in _string_map(answer, "headersToReplace").items():
        set_header(headers, name, value)
    for name, value in _string_map(answer, "headersToAdd").items():
        headers.append((name, value))


def _body(answer: Mapping[str, Any]) -> bytes | None:
    encoded = answer.get("body")
    if encoded is None:
        return None
    if not isinstance(encoded, str):
        raise _BadAnswer("body must be a base64 string")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _BadAnswer(f"body is not base64: {exc}") from exc


def _status(answer: Mapping[str, Any], default: int) -> int:
    code = answer.get("responseCode")
    if code is None:
        return default
    if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
        raise _BadAnswer(f"responseCode {code!r} is not an HTTP status")
    return code


@register
class CallInterceptorService(BuiltinPolicy):
    name = "callInterceptorService"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.url: str = self.values["interceptorServiceURL"]
        try:
            self.origin, base_path = split_url(self.url)
        except ValueError as exc:
            raise self.config_error("interceptorServiceURL", str(exc)) from exc
        self.request_target = join_target(base_path, "/api/v1/handle-request", "")
        self.response_target = join_target(base_path, "/api/v1/handle-response", "")
        includes = {part.strip() for part in self.values["includes"].split(",") if part.strip()}
        unknown = includes - INCLUDES
        if unknown:
            raise self.config_error("includes", f"unknown parts {sorted(unknown)}; known: {sorted(INCLUDES)}")
        self.includes = frozenset(includes)
        self.timeout: float = self.values["timeout"] / 1000
        self.needs_request_body = "request_body" in self.includes
        self.needs_response_body = "response_body" in self.includes

    def _invocation_context(self, exchange: Exchange) -> dict[str, Any]:
        request_id = exchange.variables.setdefault(REQUEST_ID_VARIABLE, uuid.uuid4().hex)
        auth = exchange.auth
        return {
            "requestId": request_id,
            "protocol": "HTTP/1.1",
            "apiId": exchange.api_id,
            "basePath": exchange.api_context,
            "apiVersion": exchange.api_version,
            "tenant": exchange.tenant,
            "method": exchange.request.method,
            "path": exchange.request.path,
            "pathTemplate": exchange.resource,
            "source": exchange.request.client_ip,
            "authenticationContext": {
                "tokenType": auth.auth_type,
                "keyType": auth.key_type,
                "subscriber": auth.subscriber,
                "applicationId": auth.application_id,
            },
        }

    def _common_parts(self, exchange: Exchange, payload: dict[str, Any]) -> None:
        if "invocation_context" in self.includes:
            payload["invocationContext"] = self._invocation_context(exchange)
        if "interceptor_context" in self.includes:
            payload["interceptorContext"] = exchange.variables.get(CONTEXT_VARIABLE) or {}

    async def _call(self, target: bytes, payload: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(payload, separators=(",", ":")).encode()
        try:
            async with asyncio.timeout(self.timeout):
                response = await self.services.upstream.request(
                    self.origin, b"POST", target, _JSON_HEADERS, data, read_timeout=self.timeout
                )
                body = await response.read()
        except (TimeoutError, UpstreamTimeout) as exc:
            raise PolicyRefusal(
                500, "101504", "Interceptor Timeout", f"The interceptor service did not answer in time: {exc}"
            ) from exc
        except UpstreamError as exc:
            raise PolicyRefusal(
                500, "101503", "Interceptor Unreachable", f"Cannot reach the interceptor service: {exc}"
            ) from exc
        if response.status != 200:
            raise self._bad(f"the service answered HTTP {response.status}")
        if not body.strip():
            return {}
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise self._bad(f"the answer is not JSON: {exc}") from exc
        if not isinstance(answer, dict):
            raise self._bad("the answer is not a JSON object")
        return answer

    @staticmethod
    def _bad(reason: str) -> PolicyRefusal:
        return PolicyRefusal(
            500, "101500", "Interceptor Error", f"Invalid interceptor service answer: {reason}"
        )

    def _keep_context(self, exchange: Exchange, answer: Mapping[str, Any]) -> None:
        context = answer.get("interceptorContext")
        if isinstance(context, dict):
            exchange.variables[CONTEXT_VARIABLE] = context

    async def on_request(self, exchange: Exchange) -> Reply | None:
        request = exchange.request
        payload: dict[str, Any] = {}
        if "request_headers" in self.includes:
            payload["requestHeaders"] = _header_map(request.headers)
        if "request_body" in self.includes:
            payload["requestBody"] = base64.b64encode(await exchange.request_body()).decode()
        self._common_parts(exchange, payload)
        answer = await self._call(self.request_target, payload)
        try:
            self._keep_context(exchange, answer)
            body = _body(answer)
            if answer.get("directRespond") is True:
                headers: Headers = []
                _apply_headers(headers, answer)
                return Reply(_status(answer, 200), headers, body or b"")
            _apply_headers(request.headers, answer)
        except _BadAnswer as exc:
            raise self._bad(str(exc)) from exc
        if body is not None:
            request.body = body
            body_replaced(request.headers)
        return None

    async def on_response(self, exchange: Exchange) -> None:
        response = exchange.response
        if response is None:
            return
        payload: dict[str, Any] = {"responseCode": response.status}
        if "response_headers" in self.includes:
            payload["responseHeaders"] = _header_map(response.headers)
        if "response_body" in self.includes:
            payload["responseBody"] = base64.b64encode(response.body or b"").decode()
        self._common_parts(exchange, payload)
        answer = await self._call(self.response_target, payload)
        try:
            self._keep_context(exchange, answer)
            body = _body(answer)
            status = _status(answer, response.status)
            _apply_headers(response.headers, answer)
        except _BadAnswer as exc:
            raise self._bad(str(exc)) from exc
        response.status = status
        if body is not None:
            response.body = body
            body_replaced(response.headers)
