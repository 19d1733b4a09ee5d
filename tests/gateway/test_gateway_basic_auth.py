"""Basic authentication on the request path: checked by the key manager, cached briefly, no subscription."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from apim_common.service_auth import ServiceTokenProvider
from apim_gateway.security.basic_auth import CHECK_PATH, BasicAuthenticator
from tests.gateway.conftest import CP, FakeControlPlane, Harness, RunningGateway, pets_api
from tests.support.tokens import TokenFactory

SECURED = "/pets/1.0.0/echo/1"


@dataclass
class UserStore:
    """The key manager's basic-auth check: ``name -> (password, tenant, roles, scopes)``."""

    users: dict[str, tuple[str, str, list[str], list[str]]] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def answer(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.checks.append(request)
        if self.status != 200:
            return self.status, {"code": self.status}
        found = self.users.get(request["username"])
        if found is None or found[0] != request["password"]:
            return 200, {"valid": False}
        _, tenant, roles, scopes = found
        name = request["username"]
        return 200, {
            "valid": True,
            "username": name,
            "tenant": tenant,
            "subject": f"{name}@{tenant}",
            "roles": roles,
            "scopes": scopes,
        }


@dataclass
class ControlPlaneWithUsers(FakeControlPlane):
    store: UserStore = field(default_factory=UserStore)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["path"] != CHECK_PATH:
            await super().__call__(scope, receive, send)
            return
        message = await receive()
        headers = dict(scope["headers"])
        if headers.get(b"authorization") != b"Bearer service-token":
            status, body = 401, {"code": 401}
        else:
            status, body = self.store.answer(json.loads(message.get("body", b"{}")))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})


@pytest.fixture
async def users_harness(
    tmp_path: Path, tokens: TokenFactory, backend_port: int, snapshot: dict[str, dict[str, Any]]
) -> AsyncIterator[tuple[Harness, UserStore]]:
    api = pets_api(
        backend_port,
        securityScheme=["basic_auth"],
        scopes=[{"scope": {"name": "pets:admin", "bindings": ["pet-admin"]}, "shared": False}],
    )
    snapshot["publisher"]["artifacts"] = [api]
    control_plane = ControlPlaneWithUsers(tokens, snapshot)
    store = control_plane.store
    store.users["carol"] = ("pw-carol", "carbon.super", ["Internal/everyone"], [])
    store.users["pat"] = ("pw-pat", "carbon.super", ["pet-admin", "Internal/everyone"], [])
    store.users["zoe"] = ("pw-zoe", "acme.com", ["Internal/everyone"], [])
    async with (
        RunningGateway(tmp_path, control_plane, {}) as (gateway, bus),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://localhost") as client,
    ):
        yield Harness(gateway, client, bus, control_plane, tokens, backend_port), store


async def test_right_credentials_reach_the_backend_without_them(
    users_harness: tuple[Harness, UserStore],
) -> None:
    harness, store = users_harness
    r = await harness.client.get(SECURED, auth=("carol", "pw-carol"))
    assert r.status_code == 200
    assert "authorization" not in r.json()["headers"]
    assert store.checks == [
        {"username": "carol", "password": "pw-carol", "tenant": "carbon.super", "clientAddress": "127.0.0.1"}
    ]


async def test_a_basic_call_needs_no_subscription(users_harness: tuple[Harness, UserStore]) -> None:
    harness, _ = users_harness
    harness.gateway.state.subscriptions.clear()
    harness.gateway.state.applications.clear()
    r = await harness.client.get(SECURED, auth=("carol", "pw-carol"))
    assert r.status_code == 200


async def test_a_wrong_password_is_900901(users_harness: tuple[Harness, UserStore]) -> None:
    harness, _ = users_harness
    r = await harness.client.get(SECURED, auth=("carol", "wrong"))
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_no_credentials_are_900902(users_harness: tuple[Harness, UserStore]) -> None:
    harness, store = users_harness
    r = await harness.client.get(SECURED)
    assert r.status_code == 401
    assert r.json()["code"] == "900902"
    assert store.checks == []


async def test_malformed_basic_credentials_are_900901(users_harness: tuple[Harness, UserStore]) -> None:
    harness, store = users_harness
    r = await harness.client.get(SECURED, headers={"Authorization": "Basic not*base64"})
    assert r.json()["code"] == "900901"
    assert store.checks == []


async def test_a_success_is_cached_and_a_failure_is_not(users_harness: tuple[Harness, UserStore]) -> None:
    harness, store = users_harness
    for _ in range(3):
        assert (await harness.client.get(SECURED, auth=("carol", "pw-carol"))).status_code == 200
    for _ in range(2):
        assert (await harness.client.get(SECURED, auth=("carol", "wrong"))).status_code == 401
    assert [c["password"] for c in store.checks] == ["pw-carol", "wrong", "wrong"]


async def test_a_changed_password_is_not_served_from_the_cache(
    users_harness: tuple[Harness, UserStore],
) -> None:
    harness, store = users_harness
    assert (await harness.client.get(SECURED, auth=("carol", "pw-carol"))).status_code == 200
    store.users["carol"] = ("pw-new", "carbon.super", [], [])
    assert (await harness.client.get(SECURED, auth=("carol", "pw-new"))).status_code == 200
    assert len(store.checks) == 2


async def test_the_operations_scopes_are_checked_against_the_users_roles(
    users_harness: tuple[Harness, UserStore],
) -> None:
    harness, _ = users_harness
    refused = await harness.client.get("/pets/1.0.0/echo/admin/x", auth=("carol", "pw-carol"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "900910"
    allowed = await harness.client.get("/pets/1.0.0/echo/admin/x", auth=("pat", "pw-pat"))
    assert allowed.status_code == 200


async def test_a_scope_the_key_manager_grants_counts(users_harness: tuple[Harness, UserStore]) -> None:
    harness, store = users_harness
    store.users["sam"] = ("pw-sam", "carbon.super", ["Internal/everyone"], ["pets:admin"])
    r = await harness.client.get("/pets/1.0.0/echo/admin/x", auth=("sam", "pw-sam"))
    assert r.status_code == 200


async def test_a_user_of_another_tenant_is_refused(users_harness: tuple[Harness, UserStore]) -> None:
    harness, _ = users_harness
    r = await harness.client.get(SECURED, auth=("zoe", "pw-zoe"))
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_a_name_locked_by_the_key_manager_is_900901(users_harness: tuple[Harness, UserStore]) -> None:
    harness, store = users_harness
    store.status = 429
    r = await harness.client.get(SECURED, auth=("carol", "pw-carol"))
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_an_unavailable_user_store_is_900900_and_the_password_is_not_logged(
    users_harness: tuple[Harness, UserStore], caplog: pytest.LogCaptureFixture
) -> None:
    harness, store = users_harness
    store.status = 503
    with caplog.at_level(logging.DEBUG):
        r = await harness.client.get(SECURED, auth=("carol", "pw-carol-secret"))
    assert r.status_code == 500
    assert r.json()["code"] == "900900"
    assert any("Basic credentials" in record.getMessage() for record in caplog.records)
    assert not any("pw-carol-secret" in record.getMessage() for record in caplog.records)


async def test_basic_credentials_on_an_api_without_basic_auth_are_missing_credentials(
    users_harness: tuple[Harness, UserStore],
) -> None:
    harness, store = users_harness
    harness.gateway.state.deploy(pets_api(harness.backend_port, securityScheme=["oauth2"]))
    r = await harness.client.get(SECURED, auth=("carol", "pw-carol"))
    assert r.json()["code"] == "900902"
    assert store.checks == []


@pytest.mark.parametrize("credential", ["bearer", "basic", "api_key"])
async def test_an_api_with_several_schemes_accepts_any_of_them(
    users_harness: tuple[Harness, UserStore], credential: str
) -> None:
    harness, _ = users_harness
    schemes = ["oauth2", "basic_auth", "api_key", "oauth_basic_auth_api_key_mandatory"]
    harness.gateway.state.deploy(pets_api(harness.backend_port, securityScheme=schemes))
    if credential == "bearer":
        r = await harness.client.get(SECURED, headers=harness.bearer())
    elif credential == "basic":
        r = await harness.client.get(SECURED, auth=("carol", "pw-carol"))
    else:
        key = harness.tokens.mint(
            "alice",
            client_id="",
            token_type="apiKey",
            application={"uuid": "app-1", "name": "PetShop", "owner": "alice", "tier": "Unlimited"},
            subscribedAPIs=[
                {"name": "Pets", "context": "/pets", "version": "1.0.0", "subscriptionTier": "Gold"}
            ],
        )
        r = await harness.client.get(SECURED, headers={"X-API-Key": key})
    assert r.status_code == 200
    assert r.json()["path"] == "/echo/1"


async def test_the_user_is_the_subscriber_seen_by_the_backend_jwt(
    users_harness: tuple[Harness, UserStore],
) -> None:
    harness, _ = users_harness
    api = pets_api(harness.backend_port, securityScheme=["basic_auth"])
    api["operations"][0]["operationPolicies"] = {
        "request": [{"policyName": "backEndJWT", "policyVersion": "v1", "parameters": {}}],
        "response": [],
        "fault": [],
    }
    harness.gateway.state.deploy(api)
    r = await harness.client.get(SECURED, auth=("carol", "pw-carol"))
    assertion = r.json()["headers"]["x-jwt-assertion"]
    claims = json.loads(_b64(assertion.split(".")[1]))
    assert claims["sub"] == "carol@carbon.super"


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


async def test_cached_results_expire_and_the_cache_stays_bounded() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json={"access_token": "service-token", "expires_in": 3600})
        body = json.loads(request.content)
        calls.append(body["username"])
        return httpx.Response(
            200, json={"valid": True, "username": body["username"], "tenant": "carbon.super", "roles": []}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url=CP) as http:
        tokens = ServiceTokenProvider(http, f"{CP}/oauth2/token", "secret")
        expired = BasicAuthenticator(http, tokens, CP, ttl=0.0)
        await expired.verify("carbon.super", "u", "p")
        await expired.verify("carbon.super", "u", "p")
        assert calls == ["u", "u"]
        bounded = BasicAuthenticator(http, tokens, CP, size=2)
        for name in ("a", "b", "c", "a"):
            await bounded.verify("carbon.super", name, "p")
        assert len(bounded._cache) <= 2


async def test_the_callers_address_goes_to_the_key_manager_so_failures_count_per_address(
    users_harness: tuple[Harness, UserStore],
) -> None:
    harness, store = users_harness
    transport = httpx.ASGITransport(app=harness.gateway, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as caller:
        assert (await caller.get(SECURED, auth=("carol", "wrong"))).status_code == 401
    assert store.checks[-1]["clientAddress"] == "203.0.113.7"
