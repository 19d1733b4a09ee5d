"""Route: vhost, ``/t/{tenant}``, context, version, verb and URI template (404 900906)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.types import Scope

from apim_gateway.context import Headers
from apim_gateway.errors import BAD_REQUEST, NO_MATCHING_RESOURCE, GatewayError
from apim_gateway.request.outcome import Outcome
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.paths import BadPath, encoded_resource, split_path
from apim_gateway.runtime.router import Router
from apim_gateway.runtime.state import RuntimeState

# Routes found, per router (a deployment builds a new one), by (Host header, method, raw path):
# most calls repeat a path, so they skip the path scan, the router and the template match.
_MEMO_SIZE = 4096
Routed = tuple[CompiledApi, Operation, dict[str, str], str]


def route(state: RuntimeState, scope: Scope, method: str, headers: Headers, outcome: Outcome) -> Routed:
    """The API, operation and path parameters, and the path the backend sees.

    A CORS preflight reaches the API's chain even when the API has no OPTIONS operation."""
    raw_path: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
    raw_host = ""
    for name, value in headers:
        if name == "host":
            raw_host = value
            break
    router = state.router
    memo = router.memo
    key = (raw_host, method, raw_path)
    found = memo.get(key)
    if found is None:
        found = _route(router, raw_host, raw_path, method, headers, outcome)
        if found[0] is None:  # a preflight's answer depends on its headers: not kept
            found = found[1]
        else:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[key] = found = found[1]
    api, op, path_params, backend_path = found
    outcome.api = api
    outcome.resource = op.target
    # Each request gets its own parameters: policies may change them.
    return api, op, dict(path_params) if path_params else {}, backend_path


def _route(
    router: Router, raw_host: str, raw_path: bytes, method: str, headers: Headers, outcome: Outcome
) -> tuple[bool | None, Routed]:
    """Whether the answer may be kept, and the answer; raises 400 or 404 (with ``outcome.api``
    set when the path is an API's: the WebSocket handshake tries its verbs with it)."""
    try:
        path, encoded_path = split_path(raw_path)
    except BadPath as exc:
        raise GatewayError(400, BAD_REQUEST, str(exc)) from None
    host = raw_host.rsplit(":", 1)[0].lower() if not raw_host.endswith("]") else raw_host.lower()
    routed = router.route(host, path)
    if routed is None:
        raise GatewayError(404, NO_MATCHING_RESOURCE, f"No API is deployed for {method} {path}")
    api, resource_path = routed
    outcome.api = api
    keep: bool | None = True
    matched = api.operation(method, resource_path)
    if matched is None:
        if method == "OPTIONS" and any(k == "access-control-request-method" for k, _ in headers):
            matched = api.preflight_for(headers, resource_path), {}
            keep = None
        else:
            raise GatewayError(
                404,
                NO_MATCHING_RESOURCE,
                f"No resource of {api.name} matches {method} {resource_path}",
            )
    op, path_params = matched
    return keep, (api, op, path_params, encoded_resource(resource_path, path, encoded_path))
