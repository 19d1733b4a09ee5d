"""What the request path learnt about one request, for metrics, analytics and the trace."""

from __future__ import annotations

from apim_gateway.context import AuthContext, Headers
from apim_gateway.runtime.apis import CompiledApi

RawHeaders = list[tuple[bytes, bytes]]


class Outcome:
    __slots__ = (
        "api",
        "auth",
        "backend_end",
        "backend_start",
        "cache_hit",
        "code",
        "headers_after_auth",
        "recorded",
        "request_headers",
        "request_size",
        "resource",
        "response_headers",
        "response_size",
        "status",
        "target_status",
        "throttled",
    )

    def __init__(self) -> None:
        self.api: CompiledApi | None = None
        self.auth: AuthContext | None = None
        self.status = 500
        self.code: str | None = None
        # What analytics and metrics call the method when it is not the HTTP one: a GraphQL
        # query's operation type.
        self.recorded: str | None = None
        self.resource = ""
        self.throttled: str | None = None
        # Answered from the response cache, not by the backend.
        self.cache_hit = False
        # The request headers without the credentials, once authentication took them.
        self.headers_after_auth: Headers = []
        # For the analytics event (``analytics_event.py``): the headers as they came and went
        # (noted by ``respond.py`` as the answer starts), the backend call's ``perf_counter`` span (0: not
        # called, or no answer) and the backend's status (-1: not reached).
        self.request_headers: RawHeaders = []
        self.response_headers: RawHeaders = []
        self.backend_start = 0.0
        self.backend_end = 0.0
        self.target_status = -1
        # The bodies' sizes their ``Content-Length`` headers state (None: not stated), read once
        # after the answer for the metrics and the analytics event alike.
        self.request_size: int | None = None
        self.response_size: int | None = None
