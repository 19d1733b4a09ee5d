"""Every Publisher operation, fuzzed: bad input gets a 4xx, never a 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from fastapi import FastAPI

from apim_publisher.app import create_app
from apim_publisher.settings import Settings
from tests.fuzz.conftest import MARKS, Fuzz, Target, serving
from tests.publisher_api.conftest import BASE, PIZZA
from tests.support.tokens import TokenFactory

pytestmark = MARKS


def settings(database_url: str = "sqlite+aiosqlite://") -> Settings:
    return Settings(mode="development", database_url=database_url, log_json=False)


fuzz = Fuzz(lambda: create_app(settings()))


def seed(target: Target) -> None:
    """An API with a revision and a document, and an API product of it."""
    api = target.created("POST", f"{BASE}/apis", json=PIZZA)
    revision = target.created("POST", f"{BASE}/apis/{api['id']}/revisions", json={"description": "first"})
    document = target.created(
        "POST",
        f"{BASE}/apis/{api['id']}/documents",
        json={"name": "Guide", "type": "HOWTO", "sourceType": "INLINE", "visibility": "API_LEVEL"},
    )
    product = target.created(
        "POST",
        f"{BASE}/api-products",
        json={
            "name": "Lunch",
            "context": "/lunch",
            "version": "1.0.0",
            "policies": ["Unlimited"],
            "apis": [{"apiId": api["id"], "operations": [{"target": "/menu", "verb": "GET"}]}],
        },
    )
    fuzz.known.update(
        apiId=[api["id"]],
        revisionId=[revision["id"]],
        documentId=[document["documentId"]],
        apiProductId=[product["id"]],
    )


def nowhere() -> httpx.AsyncClient:
    """Every outside host and peer service, answering 404: the fuzzer's URLs reach no network."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=FastAPI()), base_url="http://peers")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory) -> Iterator[Target]:
    database = tmp_path_factory.mktemp("publisher") / "publisher.db"
    app = create_app(settings(f"sqlite+aiosqlite:///{database}"))
    peers = nowhere()
    with serving("publisher", app, tokens) as target:
        app.state.http = app.state.outbound = peers
        seed(target)
        yield target
    asyncio.run(peers.aclose())


@fuzz.schema.parametrize()
def test_publisher_operation_never_answers_a_server_error(case: schemathesis.Case, target: Target) -> None:
    target.check(case)
