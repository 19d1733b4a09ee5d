"""An httpx transport that sends each path to the service owning its prefix, as a front proxy
would in distributed mode, so one client walks the quick start across separate processes."""

from __future__ import annotations

import httpx

PREFIXES = {
    "key-manager": ("/oauth2", "/.well-known", "/scim2", "/client-registration", "/api/am/keymanager"),
    "admin": ("/api/am/admin",),
    "publisher": ("/api/am/publisher",),
    "devportal": ("/api/am/devportal",),
    "throttle-sync": ("/api/am/throttle",),
}


class PrefixRouter(httpx.BaseTransport):
    def __init__(self, service_urls: dict[str, str]) -> None:
        self._routes = sorted(
            (
                (prefix, httpx.URL(service_urls[name]))
                for name, prefixes in PREFIXES.items()
                for prefix in prefixes
            ),
            key=lambda route: len(route[0]),
            reverse=True,
        )
        self._transport = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        for prefix, base in self._routes:
            if path == prefix or path.startswith(prefix + "/"):
                request.url = request.url.copy_with(scheme=base.scheme, host=base.host, port=base.port)
                request.headers["host"] = f"{base.host}:{base.port}"
                return self._transport.handle_request(request)
        return httpx.Response(404, json={"code": 404, "message": f"no service serves {path}"})

    def close(self) -> None:
        self._transport.close()
