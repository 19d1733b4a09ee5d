"""APIs through HTTP: the WSO2 DTO, uniqueness, ETags, search, copies, thumbnails, scopes and tenants."""

from __future__ import annotations

import pytest

from tests.publisher_api.conftest import BASE, PIZZA, Publisher


async def test_creating_an_api_answers_201_with_location_provider_and_created_state(
    publisher: Publisher,
) -> None:
    response = await publisher.client.post(f"{BASE}/apis", json=PIZZA, headers=publisher.auth(user="alice"))
    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"] == f"{BASE}/apis/{body['id']}"
    assert body["provider"] == "alice"
    assert body["lifeCycleStatus"] == "CREATED"
    assert body["name"] == "Pizza Shack"
    assert body["apiKeyHeader"] == "apiKey"
    assert body["keyManagers"] == ["all"]
    assert [(o["verb"], o["target"]) for o in body["operations"]] == [("GET", "/menu")]


async def test_an_api_without_operations_gets_wso2s_default_resources(publisher: Publisher) -> None:
    body = await publisher.create_api({"operations": []})
    assert {(o["verb"], o["target"]) for o in body["operations"]} == {
        (v, "/*") for v in ("GET", "PUT", "POST", "DELETE", "PATCH")
    }


async def test_names_with_wso2s_forbidden_characters_are_refused(publisher: Publisher) -> None:
    for name in ("Pizza#Shack", "Pizza/Shack", "Pizza(1)", "a&b"):
        response = await publisher.client.post(
            f"{BASE}/apis", json={**PIZZA, "name": name}, headers=publisher.auth()
        )
        assert response.status_code == 400, name
        assert "name" in response.json()["description"]


async def test_a_duplicate_name_is_409_900250_and_a_duplicate_context_409_900251(
    publisher: Publisher,
) -> None:
    await publisher.create_api()
    same_name = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, "context": "/other", "version": "2.0.0"}, headers=publisher.auth()
    )
    assert same_name.status_code == 409
    assert same_name.json()["code"] == 900250
    same_context = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, "name": "Burger"}, headers=publisher.auth()
    )
    assert same_context.status_code == 409
    assert same_context.json()["code"] == 900251


async def test_the_same_context_is_free_in_another_tenant(publisher: Publisher) -> None:
    await publisher.create_api()
    other = await publisher.client.post(f"{BASE}/apis", json=PIZZA, headers=publisher.auth(tenant="acme.com"))
    assert other.status_code == 201


async def test_endpoint_configs_of_every_type_are_kept_and_bad_urls_refused(publisher: Publisher) -> None:
    load_balanced = await publisher.create_api(
        {
            "name": "LB",
            "context": "/lb",
            "endpointConfig": {
                "endpoint_type": "load_balance",
                "production_endpoints": [{"url": "http://a.example.com"}, {"url": "http://b.example.com"}],
                "sandbox_endpoints": [{"url": "http://s.example.com"}],
            },
        }
    )
    assert len(load_balanced["endpointConfig"]["production_endpoints"]) == 2
    failover = await publisher.create_api(
        {
            "name": "FO",
            "context": "/fo",
            "endpointConfig": {
                "endpoint_type": "failover",
                "production_endpoints": {"url": "http://primary.example.com"},
                "production_failovers": [{"url": "http://backup.example.com"}],
            },
        }
    )
    assert [e["url"] for e in failover["endpointConfig"]["production_failovers"]] == [
        "http://backup.example.com"
    ]
    bad = await publisher.client.post(
        f"{BASE}/apis",
        json={
            **PIZZA,
            "name": "Bad",
            "context": "/bad",
            "endpointConfig": {"production_endpoints": {"url": "ftp://x"}},
        },
        headers=publisher.auth(),
    )
    assert bad.status_code == 400


async def test_api_tile_fields_cors_max_tps_and_api_key_header_round_trip(publisher: Publisher) -> None:
    created = await publisher.create_api(
        {
            "apiKeyHeader": "X-API-KEY",
            "securityScheme": ["api_key", "oauth_basic_auth_api_key_mandatory"],
            "maxTps": {"production": 100, "sandbox": 10},
            "corsConfiguration": {
                "corsConfigurationEnabled": True,
                "accessControlAllowOrigins": ["https://a.com"],
            },
            "businessInformation": {"businessOwner": "Bob", "businessOwnerEmail": "bob@example.com"},
            "monetization": {"enabled": False, "properties": {}},
            "additionalProperties": [{"name": "region", "value": "eu", "display": True}],
            "tags": ["food"],
            "categories": ["retail"],
            "visibility": "PUBLIC",
        }
    )
    fetched = (await publisher.client.get(f"{BASE}/apis/{created['id']}", headers=publisher.auth())).json()
    assert fetched["apiKeyHeader"] == "X-API-KEY"
    assert fetched["securityScheme"] == ["api_key", "oauth_basic_auth_api_key_mandatory"]
    assert fetched["maxTps"]["production"] == 100
    assert fetched["corsConfiguration"]["accessControlAllowOrigins"] == ["https://a.com"]
    assert fetched["businessInformation"]["businessOwner"] == "Bob"
    assert fetched["monetization"]["enabled"] is False
    assert fetched["additionalPropertiesMap"]["region"]["display"] is True
    listed = (await publisher.client.get(f"{BASE}/apis", headers=publisher.auth())).json()["list"][0]
    assert listed["businessOwner"] == "Bob"
    assert listed["monetizedInfo"] is False
    assert listed["additionalProperties"] == [{"name": "region", "value": "eu", "display": True}]


async def test_get_answers_an_etag_and_304_for_a_matching_if_none_match(publisher: Publisher) -> None:
    api = await publisher.create_api()
    first = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    etag = first.headers["ETag"]
    again = await publisher.client.get(
        f"{BASE}/apis/{api['id']}", headers={**publisher.auth(), "If-None-Match": etag}
    )
    assert again.status_code == 304


async def test_a_put_with_a_stale_if_match_is_412(publisher: Publisher) -> None:
    api = await publisher.create_api()
    etag = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).headers["ETag"]
    ok = await publisher.client.put(
        f"{BASE}/apis/{api['id']}",
        json={**api, "description": "one"},
        headers={**publisher.auth(), "If-Match": etag},
    )
    assert ok.status_code == 200
    assert ok.headers["ETag"] != etag
    stale = await publisher.client.put(
        f"{BASE}/apis/{api['id']}",
        json={**api, "description": "two"},
        headers={**publisher.auth(), "If-Match": etag},
    )
    assert stale.status_code == 412


async def test_put_keeps_name_context_version_and_provider(publisher: Publisher) -> None:
    api = await publisher.create_api()
    changed = {
        **api,
        "name": "Other",
        "context": "/other",
        "version": "9",
        "provider": "mallory",
        "description": "d",
    }
    body = (
        await publisher.client.put(f"{BASE}/apis/{api['id']}", json=changed, headers=publisher.auth())
    ).json()
    assert (body["name"], body["context"], body["version"], body["provider"]) == (
        "Pizza Shack",
        "/pizza",
        "1.0.0",
        "admin",
    )
    assert body["description"] == "d"


async def test_a_creator_without_publish_scope_may_not_change_publisher_fields(publisher: Publisher) -> None:
    api = await publisher.create_api()
    creator = publisher.auth(["apim:api_create", "apim:api_view"])
    refused = await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json={**api, "tags": ["new"]}, headers=creator
    )
    assert refused.status_code == 403
    allowed = await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json={**api, "description": "x"}, headers=creator
    )
    assert allowed.status_code == 200


async def test_search_by_attribute_and_sort(publisher: Publisher) -> None:
    await publisher.create_api({"name": "Alpha", "context": "/alpha", "tags": ["maps"]})
    await publisher.create_api({"name": "Beta", "context": "/beta", "version": "2.0.0"})
    await publisher.create_api({"name": "Gamma", "context": "/gamma"})

    async def names(**params: str) -> list[str]:
        body = (await publisher.client.get(f"{BASE}/apis", params=params, headers=publisher.auth())).json()
        return [a["name"] for a in body["list"]]

    assert await names(query="name:alp") == ["Alpha"]
    assert await names(query='version:"2.0.0"') == ["Beta"]
    assert await names(query="tags:maps") == ["Alpha"]
    assert await names(query="amm") == ["Gamma"]
    assert await names(sortBy="apiName", sortOrder="desc") == ["Gamma", "Beta", "Alpha"]
    page = (await publisher.client.get(f"{BASE}/apis", params={"limit": 2}, headers=publisher.auth())).json()
    assert page["count"] == 2
    assert page["pagination"]["total"] == 3


async def test_copy_api_makes_a_new_version_that_can_become_the_default(publisher: Publisher) -> None:
    original = await publisher.create_api({"isDefaultVersion": True})
    response = await publisher.client.post(
        f"{BASE}/apis/copy-api",
        params={"apiId": original["id"], "newVersion": "2.0.0", "defaultVersion": "true"},
        headers=publisher.auth(),
    )
    assert response.status_code == 201
    copy = response.json()
    assert (copy["name"], copy["context"], copy["version"], copy["isDefaultVersion"]) == (
        "Pizza Shack",
        "/pizza",
        "2.0.0",
        True,
    )
    assert copy["lifeCycleStatus"] == "CREATED"
    assert copy["operations"][0]["target"] == "/menu"
    before = (await publisher.client.get(f"{BASE}/apis/{original['id']}", headers=publisher.auth())).json()
    assert before["isDefaultVersion"] is False
    again = await publisher.client.post(
        f"{BASE}/apis/copy-api",
        params={"apiId": original["id"], "newVersion": "2.0.0"},
        headers=publisher.auth(),
    )
    assert again.status_code == 409


async def test_a_thumbnail_is_stored_served_and_flagged(publisher: Publisher) -> None:
    api = await publisher.create_api()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    put = await publisher.client.put(
        f"{BASE}/apis/{api['id']}/thumbnail",
        files={"file": ("t.png", png, "image/png")},
        headers=publisher.auth(),
    )
    assert put.status_code == 200
    got = await publisher.client.get(f"{BASE}/apis/{api['id']}/thumbnail", headers=publisher.auth())
    assert got.content == png
    assert got.headers["content-type"] == "image/png"
    fetched = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).json()
    assert fetched["hasThumbnail"] is True
    text = await publisher.client.put(
        f"{BASE}/apis/{api['id']}/thumbnail",
        files={"file": ("t.txt", b"x", "text/plain")},
        headers=publisher.auth(),
    )
    assert text.status_code == 400


async def test_deleting_an_api_removes_it_and_announces_it(publisher: Publisher) -> None:
    api = await publisher.create_api()
    assert (
        await publisher.client.delete(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    ).status_code == 200
    assert (
        await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    ).status_code == 404
    await publisher.settle()
    assert [e.subject for e in publisher.of_type("api.deleted")] == [api["id"]]


async def test_every_change_is_an_event_on_the_apis_topic(publisher: Publisher) -> None:
    api = await publisher.create_api()
    await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json={**api, "description": "x"}, headers=publisher.auth()
    )
    await publisher.settle()
    created = publisher.of_type("api.created")
    updated = publisher.of_type("api.updated")
    assert created[0].data["id"] == api["id"]
    assert updated[-1].data["description"] == "x"
    assert {t for t, _ in publisher.events if _.type.startswith("api.")} == {"apis"}


async def test_other_tenants_apis_are_invisible(publisher: Publisher) -> None:
    api = await publisher.create_api()
    acme = publisher.auth(tenant="acme.com", user="bob@acme.com")
    assert (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=acme)).status_code == 404
    assert (await publisher.client.get(f"{BASE}/apis", headers=acme)).json()["count"] == 0
    deleted = await publisher.client.delete(f"{BASE}/apis/{api['id']}", headers=acme)
    assert deleted.status_code == 404


async def test_scopes_are_enforced(publisher: Publisher) -> None:
    viewer = publisher.auth(["apim:api_view"])
    assert (await publisher.client.post(f"{BASE}/apis", json=PIZZA, headers=viewer)).status_code == 403
    assert (await publisher.client.get(f"{BASE}/apis")).status_code == 401
    api = await publisher.create_api()
    assert (await publisher.client.delete(f"{BASE}/apis/{api['id']}", headers=viewer)).status_code == 403
    creator = publisher.auth(["apim:api_create"])
    assert (await publisher.client.delete(f"{BASE}/apis/{api['id']}", headers=creator)).status_code == 403
    assert (await publisher.client.get(f"{BASE}/apis", headers=viewer)).status_code == 200


async def test_internal_listing_and_change_provider_need_a_service_token(publisher: Publisher) -> None:
    api = await publisher.create_api()
    await publisher.create_api(
        {"name": "Acme API", "context": "/acme"}, tenant="acme.com", user="bob@acme.com"
    )
    user = publisher.auth()
    assert (await publisher.client.get(f"{BASE}/internal/apis", headers=user)).status_code == 403
    listed = (
        await publisher.client.get(
            f"{BASE}/internal/apis", params={"tenant": "carbon.super"}, headers=publisher.internal()
        )
    ).json()
    assert [a["id"] for a in listed["list"]] == [api["id"]]
    everyone = (await publisher.client.get(f"{BASE}/internal/apis", headers=publisher.internal())).json()
    assert everyone["count"] == 2
    changed = await publisher.client.post(
        f"{BASE}/internal/apis/{api['id']}/change-provider",
        params={"provider": "carol", "tenant": "carbon.super"},
        headers=publisher.internal(),
    )
    assert changed.status_code == 200
    fetched = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=user)).json()
    assert fetched["provider"] == "carol"


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Pizza\x00"), ("version", "1.0\x00"), ("version", "\U000e0080"), ("cacheTimeout", 2**70)],
)
async def test_an_api_with_an_unusual_character_or_an_out_of_range_number_is_400(
    publisher: Publisher, field: str, value: object
) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, field: value}, headers=publisher.auth()
    )
    assert response.status_code == 400, response.text
    assert [e["message"] for e in response.json()["error"]] == [field]
