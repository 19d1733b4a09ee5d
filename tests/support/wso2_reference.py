"""WSO2 4.3's own OpenAPI definitions, read at test time from the reference folder beside the
repository (``../shared/reference/wso2-openapi``, or ``APIM_WSO2_OPENAPI_DIR``). They are reference
material, never part of the project. In CI the folder must be there; elsewhere a missing folder
skips the coverage checks, saying why."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

Op = tuple[str, str]

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference" / "wso2-openapi"


class _NoTimestamps(yaml.SafeLoader):
    """WSO2's examples hold invalid dates; read every scalar as the plain value it looks like."""


_NoTimestamps.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def _load(path: Path) -> dict[str, Any]:
    with path.open() as f:
        document: dict[str, Any] = yaml.load(f, Loader=_NoTimestamps)
    return document


def wso2_definition(name: str) -> dict[str, Any]:
    """``name`` is ``admin-v4``, ``publisher-v4``, ``devportal-v3`` or ``dcr-v0.17``."""
    folder = Path(os.environ.get("APIM_WSO2_OPENAPI_DIR", DEFAULT_DIR))
    path = folder / f"{name}.yaml"
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"WSO2's reference definition {path} is missing")
        pytest.skip(f"WSO2's reference definition {path} is not beside this checkout")
    return _load(path)


METHODS = ("get", "post", "put", "delete", "patch")


def path_shape(path: str) -> str:
    """``/apis/{apiId}`` and ``/apis/{id}`` are the same operation path."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def wso2_operations(
    name: str, *, exclude: Callable[[str, str], bool] | None = None
) -> dict[Op, frozenset[str]]:
    """WSO2's operations as (method, path shape) -> the scopes any one of which allows it."""
    spec = wso2_definition(name)
    operations: dict[Op, frozenset[str]] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method not in item or (exclude is not None and exclude(method, path)):
                continue
            security = item[method].get("security", spec.get("security", []))
            operations[(method, path_shape(path))] = frozenset(
                scope for entry in security for names in entry.values() for scope in names
            )
    return operations


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    yield from walk(list(app.routes))


def required_scopes(dependant: Dependant) -> frozenset[str] | None:
    """The scopes a route's ``require_scopes`` dependency admits, wherever it sits in the graph."""
    for dependency in dependant.dependencies:
        scopes = getattr(dependency.call, "required_scopes", None)
        if scopes is not None:
            return frozenset(scopes)
        found = required_scopes(dependency)
        if found is not None:
            return found
    return None


def served_operations(app: FastAPI, prefix: str) -> dict[Op, APIRoute]:
    return {
        (method.lower(), path_shape(route.path.removeprefix(prefix))): route
        for route in api_routes(app)
        for method in route.methods
    }


def assert_coverage(
    label: str, ours: dict[Op, APIRoute], theirs: dict[Op, frozenset[str]], minimum: float
) -> None:
    """At least ``minimum`` of WSO2's operations are served, and each served one checks WSO2's scopes."""
    served = sorted(op for op in theirs if op in ours)
    missing = sorted(op for op in theirs if op not in ours)
    coverage = len(served) / len(theirs)
    print(f"{label} coverage: {len(served)}/{len(theirs)} operations = {coverage:.1%}; missing: {missing}")
    assert coverage >= minimum
    for operation in served:
        if not theirs[operation]:
            continue  # anonymous access allowed by WSO2
        scopes = required_scopes(ours[operation].dependant)
        assert scopes is not None, f"{operation} checks no scope"
        assert theirs[operation] <= scopes, f"{operation} lacks {sorted(theirs[operation] - scopes)}"
