"""Route: vhost, ``/t/{tenant}``, context, version, verb and URI template (404 900906)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.types import Scope

from apim_gateway.context import Headers
from apim_gateway.errors import BAD_REQUEST, NO_MATCHING_RESOURCE, GatewayError
from apim_gateway.request.outcome import Outcome
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.paths import BadPath, encoded_resource, split_path
from apim_gateway.runtime.state import RuntimeState


def route(
    state: RuntimeState, scope: Scope, method: str, headers: Headers, outcome: Outcome
) -> tuple[CompiledApi, Operation, dict[str, str], str]:
    """The API, operation and path parameters, and the path the backend sees.

    A CORS preflight reaches the API's chain even when the API has no OPTIONS operation."""
    raw_path: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
    try:
        path, encoded_path = split_path(raw_path)
    except BadPath as exc:
        raise GatewayError(400, BAD_REQUEST, str(exc)) from None
    host = ""
    for name, value in headers:
        if name == "host":
            host = value.rsplit(":", 1)[0].lower() if not value.endswith("]") else value.lower()
            break
    routed = state.router.route(host, path)
    if routed is None:
        raise GatewayError(404, NO_MATCHING_RESOURCE, f"No API is deployed for {method} {path}")
    api, resource_path = routed
    outcome.api = api
    matched = api.operation(method, resource_path)
    if matched is None:
        if method == "OPTIONS" and any(k == "access-control-request-method" for k, _ in headers):
            matched = api.preflight_for(headers, resource_path), {}
        else:
            raise GatewayError(
                404,
                NO_MATCHING_RESOURCE,
                f"No resource of {api.name} matches {method} {resource_path}",
            )
    op, path_params = matched
    outcome.resource = op.target
    return api, op, path_params, encoded_resource(resource_path, path, encoded_path)
