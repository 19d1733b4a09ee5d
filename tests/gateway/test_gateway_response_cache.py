"""Response caching (``responseCachingEnabled``, ``cacheTimeout``) through the real gateway,
against a real local backend that counts the calls it answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from tests.gateway.conftest import TENANT, Harness, count_limit
from tests.support.local_http import Canned, LocalServer, local_server

CACHED = "/cached/1.0.0"
UNCACHED = "/uncached/1.0.0"
PRODUCT = "/shop/1.0.0"


class Clock:
    """The response cache's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _api(server: LocalServer, api_id: str, context: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": api_id,
        "name": api_id,
        "context": context,
        "version": "1.0.0",
        "lifeCycleStatus": "PUBLISHED",
        "type": "HTTP",
        "tenant": TENANT,
        "revisionId": f"rev-{api_id}-1",
        "environment": "Default",
        "vhost": "localhost",
        "securityScheme": ["oauth2", "api_key"],
        "policies": ["Gold"],
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"http://127.0.0.1:{server.port}"},
        },
        "operations": [
            {"verb": "GET", "target": "/items", "authType": "Any"},
            {"verb": "HEAD", "target": "/items", "authType": "Any"},
            {"verb": "GET", "target": "/open", "authType": "None"},
        ],
        **extra,
    }


def _product(**extra: Any) -> dict[str, Any]:
    return {
        "id": "product-shop",
        "name": "Shop",
        "context": "/shop",
        "version": "1.0.0",
        "lifeCycleStatus": "PUBLISHED",
        "type": "APIProduct",
        "tenant": TENANT,
        "revisionId": "rev-product-shop-1",
        "environment": "Default",
        "vhost": "localhost",
        "securityScheme": ["oauth2"],
        "policies": ["Gold"],
        "endpointConfig": None,
        "operations": [{"verb": "GET", "target": "/items", "authType": "Any", "apiId": "api-uncached"}],
        **extra,
    }


@pytest.fixture
async def backend() -> AsyncIterator[LocalServer]:
    routes = {
        "/items": Canned(200, b'{"n": 1}', {"Content-Type": "application/json"}),
        "/open": Canned(200, b'{"open": 1}'),
    }
    async with local_server(routes) as server:
        yield server


@pytest.fixture
def snapshot(snapshot: dict[str, dict[str, Any]], backend: LocalServer) -> dict[str, dict[str, Any]]:
    """The pets snapshot with an API that caches, one that does not, a product of the latter that
    caches, and a second application subscribed to them all."""
    publisher, devportal = snapshot["publisher"], snapshot["devportal"]
    publisher["artifacts"] += [
        _api(backend, "api-cached", "/cached", responseCachingEnabled=True, cacheTimeout=60),
        _api(backend, "api-uncached", "/uncached", responseCachingEnabled=False, cacheTimeout=60),
        _product(responseCachingEnabled=True, cacheTimeout=60),
    ]
    devportal["applications"].append(
        {
            "applicationId": "app-2",
            "name": "Other",
            "owner": "bob",
            "throttlingPolicy": "Unlimited",
            "status": "APPROVED",
            "tenant": TENANT,
        }
    )
    devportal["keyMappings"].append(
        {
            "applicationId": "app-2",
            "keyType": "PRODUCTION",
            "keyManager": "Resident Key Manager",
            "consumerKey": "client-2",
        }
    )
    for app in ("app-1", "app-2"):
        for api in ("api-cached", "api-uncached", "product-shop"):
            devportal["subscriptions"].append(
                {
                    "subscriptionId": f"sub-{app}-{api}",
                    "applicationId": app,
                    "apiId": api,
                    "throttlingPolicy": "Gold",
                    "status": "UNBLOCKED",
                }
            )
    return snapshot


def _calls(backend: LocalServer, path: str = "/items") -> int:
    return backend.seen.count(path)


async def test_second_get_is_served_from_the_cache(harness: Harness, backend: LocalServer) -> None:
    token = harness.bearer()
    first = await harness.client.get(f"{CACHED}/items", headers=token)
    backend.routes["/items"] = Canned(200, b'{"n": 2}')
    second = await harness.client.get(f"{CACHED}/items", headers=token)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == first.content == b'{"n": 1}'
    assert second.headers["content-type"] == "application/json"
    assert _calls(backend) == 1


async def test_head_is_answered_from_the_cached_get(harness: Harness, backend: LocalServer) -> None:
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers=token)
    head = await harness.client.head(f"{CACHED}/items", headers=token)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(b'{"n": 1}'))
    assert _calls(backend) == 1


async def test_cached_response_expires_after_cache_timeout(harness: Harness, backend: LocalServer) -> None:
    clock = Clock()
    harness.gateway.state.response_cache.clock = clock
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers=token)
    clock.now += 59
    await harness.client.get(f"{CACHED}/items", headers=token)
    assert _calls(backend) == 1
    clock.now += 2  # past cacheTimeout (60 s)
    await harness.client.get(f"{CACHED}/items", headers=token)
    assert _calls(backend) == 2


async def test_max_age_shortens_the_cache_timeout(harness: Harness, backend: LocalServer) -> None:
    clock = Clock()
    harness.gateway.state.response_cache.clock = clock
    backend.routes["/items"] = Canned(200, b"{}", {"Cache-Control": "public, max-age=10"})
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers=token)
    clock.now += 9
    await harness.client.get(f"{CACHED}/items", headers=token)
    clock.now += 2
    await harness.client.get(f"{CACHED}/items", headers=token)
    assert _calls(backend) == 2


async def test_callers_never_share_a_cached_response(harness: Harness, backend: LocalServer) -> None:
    alice_app_1 = harness.bearer("client-1")
    alice_app_2 = harness.bearer("client-2")
    bob_app_1 = {"Authorization": f"Bearer {harness.tokens.mint('bob', '', client_id='client-1')}"}
    first = await harness.client.get(f"{CACHED}/items", headers=alice_app_1)
    backend.routes["/items"] = Canned(200, b'{"n": 2}')
    other_app = await harness.client.get(f"{CACHED}/items", headers=alice_app_2)
    backend.routes["/items"] = Canned(200, b'{"n": 3}')
    other_user = await harness.client.get(f"{CACHED}/items", headers=bob_app_1)
    again = await harness.client.get(f"{CACHED}/items", headers=alice_app_1)
    assert [r.content for r in (first, other_app, other_user, again)] == [
        b'{"n": 1}',
        b'{"n": 2}',
        b'{"n": 3}',
        b'{"n": 1}',
    ]
    assert _calls(backend) == 3


async def test_a_resource_without_authentication_shares_its_cached_response(
    harness: Harness, backend: LocalServer
) -> None:
    await harness.client.get(f"{CACHED}/open")
    second = await harness.client.get(f"{CACHED}/open", headers={"X-Caller": "another"})
    assert second.content == b'{"open": 1}'
    assert _calls(backend, "/open") == 1


async def test_credentials_on_a_resource_without_authentication_bypass_the_cache(
    harness: Harness, backend: LocalServer
) -> None:
    await harness.client.get(f"{CACHED}/open")
    with_credentials = {"Authorization": "Basic dXNlcjpzZWNyZXQ="}
    await harness.client.get(f"{CACHED}/open", headers=with_credentials)
    await harness.client.get(f"{CACHED}/open", headers=with_credentials)
    assert _calls(backend, "/open") == 3


async def test_private_response_is_not_shared_where_no_authentication_is_needed(
    harness: Harness, backend: LocalServer
) -> None:
    backend.routes["/open"] = Canned(200, b"{}", {"Cache-Control": "private"})
    await harness.client.get(f"{CACHED}/open")
    await harness.client.get(f"{CACHED}/open")
    assert _calls(backend, "/open") == 2


async def test_no_store_response_is_not_cached(harness: Harness, backend: LocalServer) -> None:
    backend.routes["/items"] = Canned(200, b"{}", {"Cache-Control": "no-store"})
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers=token)
    await harness.client.get(f"{CACHED}/items", headers=token)
    assert _calls(backend) == 2


async def test_a_response_setting_a_cookie_is_not_cached(harness: Harness, backend: LocalServer) -> None:
    backend.routes["/items"] = Canned(200, b"{}", {"Set-Cookie": "session=1"})
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers=token)
    await harness.client.get(f"{CACHED}/items", headers=token)
    assert _calls(backend) == 2


async def test_an_error_response_is_not_cached(harness: Harness, backend: LocalServer) -> None:
    backend.routes["/items"] = Canned(500, b"{}")
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers=token)
    await harness.client.get(f"{CACHED}/items", headers=token)
    assert _calls(backend) == 2


async def test_vary_header_separates_cache_entries(harness: Harness, backend: LocalServer) -> None:
    backend.routes["/items"] = Canned(200, b"{}", {"Vary": "Accept-Language"})
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers={**token, "Accept-Language": "en"})
    await harness.client.get(f"{CACHED}/items", headers={**token, "Accept-Language": "fr"})
    assert _calls(backend) == 2
    await harness.client.get(f"{CACHED}/items", headers={**token, "Accept-Language": "en"})
    await harness.client.get(f"{CACHED}/items", headers={**token, "Accept-Language": "fr"})
    assert _calls(backend) == 2
    backend.routes["/items"] = Canned(200, b"{}", {"Vary": "*"})
    await harness.client.get(f"{CACHED}/items?star=1", headers=token)
    await harness.client.get(f"{CACHED}/items?star=1", headers=token)
    assert _calls(backend, "/items?star=1") == 2


async def test_accept_header_separates_cache_entries(harness: Harness, backend: LocalServer) -> None:
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers={**token, "Accept": "application/json"})
    await harness.client.get(f"{CACHED}/items", headers={**token, "Accept": "application/xml"})
    assert _calls(backend) == 2


async def test_redeploy_invalidates_the_cache(harness: Harness, backend: LocalServer) -> None:
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers=token)
    cache = harness.gateway.state.response_cache
    assert len(cache) == 1
    artifact = _api(
        backend, "api-cached", "/cached", responseCachingEnabled=True, cacheTimeout=60, revisionId="rev-2"
    )
    harness.control_plane.artifacts["rev-2"] = artifact
    await harness.publish(
        Topic.DEPLOYMENTS,
        "deployment.deployed",
        {"apiId": "api-cached", "revisionId": "rev-2", "environment": "Default", "vhost": "localhost"},
    )
    assert len(cache) == 0  # the old revision's entries are reclaimed at once
    await harness.client.get(f"{CACHED}/items", headers=token)
    assert _calls(backend) == 2
    await harness.publish(
        Topic.DEPLOYMENTS,
        "deployment.undeployed",
        {"apiId": "api-cached", "revisionId": "rev-2", "environment": "Default"},
    )
    assert len(cache) == 0
    assert (await harness.client.get(f"{CACHED}/items", headers=token)).status_code == 404


async def test_cache_hit_is_still_rate_limited(harness: Harness, backend: LocalServer) -> None:
    await harness.publish(
        Topic.THROTTLE_POLICIES,
        "throttle-policy.created",
        {
            "policyType": "subscription",
            "policy": {"policyName": "Gold", "defaultLimit": count_limit(2), "stopOnQuotaReach": True},
        },
    )
    token = harness.bearer()
    answers = [await harness.client.get(f"{CACHED}/items", headers=token) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "900804"
    assert _calls(backend) == 1


async def test_cache_hit_still_needs_a_valid_token(harness: Harness, backend: LocalServer) -> None:
    assert (await harness.client.get(f"{CACHED}/items", headers=harness.bearer())).status_code == 200
    missing = await harness.client.get(f"{CACHED}/items")
    forged = await harness.client.get(f"{CACHED}/items", headers={"Authorization": "Bearer not-a-token"})
    unsubscribed = await harness.client.get(f"{CACHED}/items", headers=harness.bearer("client-new"))
    assert (missing.status_code, missing.json()["code"]) == (401, "900902")
    assert forged.status_code == 401
    assert (unsubscribed.status_code, unsubscribed.json()["code"]) == (403, "900908")
    assert b'{"n": 1}' not in missing.content + forged.content + unsubscribed.content
    assert _calls(backend) == 1


@pytest.mark.parametrize("settings_overrides", [{"gateway_response_cache_max_entries": 2}])
async def test_cache_evicts_least_recently_used_beyond_its_bound(
    harness: Harness, backend: LocalServer
) -> None:
    for n in (1, 2, 3):
        backend.routes[f"/items?n={n}"] = Canned(200, b"{}")
    token = harness.bearer()
    for n in (1, 2, 1, 3):  # 1 is used again after 2: 2 is the least recently used when 3 comes
        await harness.client.get(f"{CACHED}/items?n={n}", headers=token)
    assert len(harness.gateway.state.response_cache) == 2
    await harness.client.get(f"{CACHED}/items?n=1", headers=token)
    await harness.client.get(f"{CACHED}/items?n=2", headers=token)
    assert [_calls(backend, f"/items?n={n}") for n in (1, 2, 3)] == [1, 2, 1]


@pytest.mark.parametrize("settings_overrides", [{"gateway_response_cache_max_entry_bytes": 100}])
async def test_a_response_larger_than_an_entry_streams_through_uncached(
    harness: Harness, backend: LocalServer
) -> None:
    body = b"x" * 1000
    backend.routes["/items"] = Canned(200, body)
    token = harness.bearer()
    first = await harness.client.get(f"{CACHED}/items", headers=token)
    second = await harness.client.get(f"{CACHED}/items", headers=token)
    assert first.content == second.content == body
    assert _calls(backend) == 2
    assert len(harness.gateway.state.response_cache) == 0


async def test_analytics_event_records_the_cache_hit(harness: Harness, backend: LocalServer) -> None:
    seen: list[CloudEvent] = []

    async def collect(event: CloudEvent) -> None:
        seen.append(event)

    harness.bus.subscribe([str(Topic.ANALYTICS)], "cache-analytics-test", collect)
    token = harness.bearer()
    await harness.client.get(f"{CACHED}/items", headers=token)
    await harness.client.get(f"{CACHED}/items", headers=token)
    for _ in range(200):
        if len(seen) >= 2:
            break
        await asyncio.sleep(0.01)
    assert [(e.data["apiId"], e.data["responseCacheHit"]) for e in seen] == [
        ("api-cached", False),
        ("api-cached", True),
    ]


async def test_caching_disabled_calls_the_backend_every_time(harness: Harness, backend: LocalServer) -> None:
    token = harness.bearer()
    assert harness.gateway.state.apis["api-uncached"].cache_timeout is None
    first = await harness.client.get(f"{UNCACHED}/items", headers=token)
    await harness.client.get(f"{UNCACHED}/items", headers=token)
    assert first.status_code == 200
    assert _calls(backend) == 2
    assert len(harness.gateway.state.response_cache) == 0


async def test_product_response_caching_applies_to_its_operations(
    harness: Harness, backend: LocalServer
) -> None:
    token = harness.bearer()
    first = await harness.client.get(f"{PRODUCT}/items", headers=token)
    second = await harness.client.get(f"{PRODUCT}/items", headers=token)
    assert (first.status_code, second.content) == (200, b'{"n": 1}')
    assert _calls(backend) == 1
    # The member API itself does not cache: the product's own setting is what applies.
    await harness.client.get(f"{UNCACHED}/items", headers=token)
    assert _calls(backend) == 2


async def test_redeploying_a_member_api_invalidates_its_products_cache(
    harness: Harness, backend: LocalServer
) -> None:
    token = harness.bearer()
    await harness.client.get(f"{PRODUCT}/items", headers=token)
    harness.control_plane.artifacts["rev-m-2"] = _api(
        backend, "api-uncached", "/uncached", revisionId="rev-m-2"
    )
    await harness.publish(
        Topic.DEPLOYMENTS,
        "deployment.deployed",
        {"apiId": "api-uncached", "revisionId": "rev-m-2", "environment": "Default", "vhost": "localhost"},
    )
    await harness.client.get(f"{PRODUCT}/items", headers=token)
    assert _calls(backend) == 2
