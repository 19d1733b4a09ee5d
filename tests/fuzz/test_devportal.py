"""Every DevPortal operation, fuzzed: bad input gets a 4xx, never a 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import schemathesis

from apim_common.events import new_event
from apim_devportal.app import create_app
from apim_devportal.settings import Settings
from tests.devportal_api.conftest import BASE, FakeKeyManager, api_dto
from tests.fuzz.conftest import MARKS, Fuzz, Target, serving
from tests.support.tokens import TokenFactory

pytestmark = MARKS


def settings(database_url: str = "sqlite+aiosqlite://") -> Settings:
    return Settings(
        mode="development", database_url=database_url, key_manager_url="http://key-manager", log_json=False
    )


fuzz = Fuzz(lambda: create_app(settings()))


def seed(target: Target) -> None:
    """An API in the catalog, an application subscribed to it with keys, a comment on the API."""
    api = api_dto()
    bus = target.app.state.bus

    async def publish() -> None:
        await bus.publish("apis", new_event("/fuzz", "api.created", api["id"], api))
        await bus.drain()

    target.run(publish())
    app = target.created(
        "POST", f"{BASE}/applications", json={"name": "FuzzApp", "throttlingPolicy": "Unlimited"}
    )
    subscription = target.created(
        "POST",
        f"{BASE}/subscriptions",
        json={"applicationId": app["applicationId"], "apiId": api["id"], "throttlingPolicy": "Gold"},
    )
    keys = target.created(
        "POST",
        f"{BASE}/applications/{app['applicationId']}/generate-keys",
        json={"keyType": "PRODUCTION", "grantTypesToBeSupported": ["client_credentials"]},
    )
    comment = target.created(
        "POST", f"{BASE}/apis/{api['id']}/comments", json={"content": "tasty", "category": "general"}
    )
    fuzz.known.update(
        apiId=[api["id"]],
        applicationId=[app["applicationId"]],
        subscriptionId=[subscription["subscriptionId"]],
        keyMappingId=[keys["keyMappingId"]],
        commentId=[comment["id"]],
    )


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory) -> Iterator[Target]:
    database = tmp_path_factory.mktemp("devportal") / "devportal.db"
    app = create_app(settings(f"sqlite+aiosqlite:///{database}"))
    key_manager = httpx.AsyncClient(transport=httpx.ASGITransport(app=FakeKeyManager().app(tokens)))
    with serving("devportal", app, tokens) as target:
        app.state.http = app.state.outbound = key_manager
        seed(target)
        yield target
    asyncio.run(key_manager.aclose())


@fuzz.schema.parametrize()
def test_devportal_operation_never_answers_a_server_error(case: schemathesis.Case, target: Target) -> None:
    target.check(case)
