"""Every Admin operation, fuzzed: bad input gets a 4xx, never a 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import schemathesis

from apim_admin.app import create_app
from apim_admin.settings import Settings
from tests.admin_api.harness import Peers
from tests.fuzz.conftest import MARKS, Fuzz, Target, serving
from tests.support.tokens import TokenFactory

pytestmark = MARKS

BASE = "/api/am/admin/v4"


def settings(database_url: str = "sqlite+aiosqlite://") -> Settings:
    return Settings(mode="development", database_url=database_url, log_json=False)


fuzz = Fuzz(lambda: create_app(settings()))


def seed(target: Target) -> None:
    """The ids of what the first start created, and of a category made for the run."""

    def ids(path: str, field: str = "id") -> list[str]:
        body = target.created("GET", f"{BASE}{path}")
        return [str(item[field]) for item in body.get("list", [])][:3]

    category = target.created("POST", f"{BASE}/api-categories", json={"name": "Fuzzing", "description": "d"})
    known = {
        "apiCategoryId": [category["id"]],
        "keyManagerId": ids("/key-managers"),
        "environmentId": ids("/environments"),
        "tenantDomain": ["carbon.super"],
        "username": ["admin"],
        "apiId": ["api-1"],
        "applicationId": ["app-1"],
    }
    for level in ("application", "subscription", "advanced"):
        known.setdefault("policyId", []).extend(ids(f"/throttling/policies/{level}", "policyId"))
    fuzz.known.update({name: values for name, values in known.items() if values})


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory) -> Iterator[Target]:
    database = tmp_path_factory.mktemp("admin") / "admin.db"
    app = create_app(settings(f"sqlite+aiosqlite:///{database}"))
    peers = httpx.AsyncClient(transport=httpx.ASGITransport(app=Peers().app()), base_url="http://peers")
    with serving("admin", app, tokens) as target:
        # The stand-ins answer for the other services and for every outside host.
        app.state.http = app.state.outbound = peers
        seed(target)
        yield target
    asyncio.run(peers.aclose())


@fuzz.schema.parametrize()
def test_admin_operation_never_answers_a_server_error(case: schemathesis.Case, target: Target) -> None:
    target.check(case)
