"""Every Admin v4 operation enforces its WSO2 scopes, and we serve at least 90% of WSO2's operations."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from apim_admin.app import create_app
from apim_admin.settings import Settings
from tests.admin_api.harness import Admin

PREFIX = "/api/am/admin/v4"
SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "wso2-openapi" / "admin-v4.yaml"
METHODS = ("get", "post", "put", "delete", "patch")


class _NoTimestamps(yaml.SafeLoader):
    """The definition's examples hold dates that SafeLoader would turn into datetimes (and fail on)."""


_NoTimestamps.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    yield from walk(list(app.routes))


def required_scopes(dependant: Dependant) -> frozenset[str] | None:
    for dependency in dependant.dependencies:
        scopes = getattr(dependency.call, "required_scopes", None)
        if scopes is not None:
            return frozenset(scopes)
        found = required_scopes(dependency)
        if found is not None:
            return found
    return None


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def our_operations() -> dict[tuple[str, str], APIRoute]:
    app = create_app(Settings(mode="development"))
    operations = {}
    for route in api_routes(app):
        for method in route.methods:
            operations[(method.lower(), shape(route.path.removeprefix(PREFIX)))] = route
    return operations


def wso2_operations() -> dict[tuple[str, str], frozenset[str]]:
    spec = yaml.load(SPEC.read_text(), Loader=_NoTimestamps)
    operations = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                security = item[method].get("security", spec.get("security", []))
                scopes = frozenset(s for entry in security for names in entry.values() for s in names)
                operations[(method, shape(path))] = scopes
    return operations


def test_at_least_90_percent_of_wso2_admin_operations_are_served_each_with_its_scopes() -> None:
    ours = our_operations()
    theirs = wso2_operations()
    served = sorted(op for op in theirs if op in ours)
    missing = sorted(op for op in theirs if op not in ours)
    coverage = len(served) / len(theirs)
    print(f"Admin v4 coverage: {len(served)}/{len(theirs)} operations = {coverage:.1%}; missing: {missing}")
    assert coverage >= 0.9
    for operation in served:
        scopes = required_scopes(ours[operation].dependant)
        assert scopes is not None, f"{operation} checks no scope"
        assert theirs[operation] <= scopes, f"{operation} lacks {sorted(theirs[operation] - scopes)}"


def _example_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


async def test_every_endpoint_refuses_a_token_without_its_scope(admin: Admin) -> None:
    routes = [r for r in api_routes(admin.app) if r.include_in_schema and "/internal/" not in r.path]
    assert len(routes) > 70
    headers = admin.auth("apim:subscribe apim:api_view")
    for route in routes:
        for method in route.methods:
            response = await admin.client.request(method, _example_path(route.path), headers=headers)
            assert response.status_code == 403, f"{method} {route.path}: {response.status_code}"
            assert response.json()["code"] == 900910


async def test_internal_endpoints_refuse_user_tokens(admin: Admin) -> None:
    internal = [r for r in api_routes(admin.app) if "/internal/" in r.path]
    assert internal
    for route in internal:
        for method in route.methods:
            response = await admin.client.request(method, route.path, headers=admin.auth())
            assert response.status_code == 403, f"{method} {route.path}"
