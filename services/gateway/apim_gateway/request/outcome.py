"""What the request path learnt about one request, for metrics, analytics and the trace."""

from __future__ import annotations

from apim_gateway.context import AuthContext, Headers
from apim_gateway.runtime.apis import CompiledApi

RawHeaders = list[tuple[bytes, bytes]]


class Outcome:
    """Made for every request: what stays as it starts is a class default, not set each time."""

    api: CompiledApi | None = None
    auth: AuthContext | None = None
    status = 500
    code: str | None = None
    resource = ""
    throttled: str | None = None
    # Answered from the response cache, not by the backend.
    cache_hit = False
    # For the analytics event (``analytics_event.py``): the backend call's ``perf_counter`` span
    # (0: not called, or no answer) and the backend's status (-1: not reached).
    backend_start = 0.0
    backend_end = 0.0
    target_status = -1
    # The bodies' sizes their ``Content-Length`` headers state (None: not stated), read once
    # after the answer for the metrics and the analytics event alike.
    request_size: int | None = None
    response_size: int | None = None

    def __init__(self) -> None:
        # The request headers without the credentials, once authentication took them.
        self.headers_after_auth: Headers = []
        # The headers as they came and went (noted by ``respond.py`` as the answer starts).
        self.request_headers: RawHeaders = []
        self.response_headers: RawHeaders = []
