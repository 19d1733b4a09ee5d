"""What the request path learnt about one request, for metrics, analytics and the trace."""

from __future__ import annotations

from apim_gateway.context import AuthContext, Headers
from apim_gateway.runtime.apis import CompiledApi


class Outcome:
    __slots__ = ("api", "auth", "cache_hit", "code", "headers_after_auth", "resource", "status", "throttled")

    def __init__(self) -> None:
        self.api: CompiledApi | None = None
        self.auth: AuthContext | None = None
        self.status = 500
        self.code: str | None = None
        self.resource = ""
        self.throttled: str | None = None
        # Answered from the response cache, not by the backend.
        self.cache_hit = False
        # The request headers without the credentials, once authentication took them.
        self.headers_after_auth: Headers = []
