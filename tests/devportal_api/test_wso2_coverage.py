"""The service serves WSO2 DevPortal v3's operations, each guarded by the scopes WSO2 gives it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

from apim_common.security import _principal_or_none
from apim_devportal.app import create_app
from apim_devportal.settings import Settings
from tests.support.wso2_reference import wso2_definition

BASE = "/api/am/devportal/v3"
METHODS = ("get", "post", "put", "patch", "delete")


def _spec_operations() -> dict[tuple[str, str], list[str] | None]:
    """(METHOD, path) -> scopes (any one suffices); an empty list means anonymous is allowed."""
    document = wso2_definition("devportal-v3")
    found: dict[tuple[str, str], list[str] | None] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            security = operation.get("security")
            scopes = None if security is None else list(security[0].get("OAuth2Security", []))
            found[(method.upper(), path)] = scopes
    return found


def _dependency_calls(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependency_calls(sub)


def _our_routes() -> dict[tuple[str, str], APIRoute]:
    app = create_app(Settings(mode="development", database_url="sqlite+aiosqlite:///:memory:"))
    routes: dict[tuple[str, str], APIRoute] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path
        if not isinstance(route, APIRoute) or not path or not path.startswith(BASE):
            continue
        template = re.sub(r"\{[^}]+\}", "{}", path[len(BASE) :])
        for method in context.methods or ():
            routes[(method, template)] = route
    return routes


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_at_least_97_percent_of_devportal_v3_operations_are_served_with_their_scopes() -> None:
    spec = _spec_operations()
    ours = _our_routes()
    served = {key: scopes for key, scopes in spec.items() if (key[0], _template(key[1])) in ours}
    coverage = len(served) / len(spec)
    missing = sorted(f"{m} {p}" for m, p in spec if (m, p) not in served)
    print(f"DevPortal v3 coverage: {len(served)}/{len(spec)} = {coverage:.1%}; not served: {missing}")
    assert coverage >= 0.97
    wrong: list[str] = []
    for (method, path), scopes in served.items():
        route = ours[(method, _template(path))]
        calls = list(_dependency_calls(route.dependant))
        required = [frozenset(c.required_scopes) for c in calls if hasattr(c, "required_scopes")]
        if scopes:
            if required != [frozenset(scopes)]:
                wrong.append(f"{method} {path}: spec {sorted(scopes)}, ours {[sorted(r) for r in required]}")
        elif scopes == [] and (required or _principal_or_none not in calls):
            wrong.append(f"{method} {path}: anonymous in the spec, ours needs {required or 'no principal'}")
    assert wrong == []
