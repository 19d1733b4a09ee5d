"""GraphQL APIs in the Publisher: a schema validated and imported with graphql-core, one operation
per root field, the schema kept byte for byte, complexity values checked against its types, and
the deployed revision's artifact carrying what the gateway analyses queries with."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.publisher_api.conftest import BASE, Publisher, running_publisher
from tests.support.tokens import TokenFactory

# One publisher for the module: each test imports APIs of its own names and contexts.
pytestmark = pytest.mark.asyncio(loop_scope="module")
_names = itertools.count(1)

# Comments, blank lines and odd spacing: the schema must come back exactly as sent.
STARWARS = """# The Star Wars schema, as the tests send it.

schema { query: Root   mutation: Mutation  subscription: Subscription }

type Root {
  hero(episode: Episode): Character
  human(id: ID!): Human
}

type Mutation { createReview(episode: Episode, stars: Int!): Review }

type Subscription {
    reviewAdded(episode: Episode): Review
}

enum Episode { NEWHOPE EMPIRE JEDI }

interface Character { id: ID!  name: String  friends(first: Int): [Character] }

type Human implements Character {
  id: ID!
  name: String
  friends(first: Int): [Character]
  homePlanet: String
}

type Review { stars: Int!  commentary: String }
input Unused { note: String }
"""
PROPERTIES = {
    "name": "StarWars",
    "version": "1.0.0",
    "context": "/swapi",
    "policies": ["Unlimited"],
    "endpointConfig": {
        "endpoint_type": "http",
        "production_endpoints": {"url": "http://backend.example.com/graphql"},
    },
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def publisher(
    tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Publisher]:
    database = tmp_path_factory.mktemp("graphql-publisher") / "service.db"
    async with running_publisher(tokens, f"sqlite+aiosqlite:///{database}") as running:
        yield running


async def _import(
    publisher: Publisher, schema: str = STARWARS, *, headers: dict[str, str] | None = None, **extra: Any
) -> httpx.Response:
    number = next(_names)
    fields = {**PROPERTIES, "name": f"StarWars{number}", "context": f"/swapi{number}", **extra}
    return await publisher.client.post(
        f"{BASE}/apis/import-graphql-schema",
        files={"file": ("schema.graphql", schema.encode(), "application/graphql")},
        data={"type": "GraphQL", "additionalProperties": json.dumps(fields)},
        headers=headers or publisher.auth(),
    )


async def _imported(publisher: Publisher, **extra: Any) -> dict[str, Any]:
    response = await _import(publisher, **extra)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _verbs(api: dict[str, Any]) -> list[tuple[str, str]]:
    return [(op["verb"], op["target"]) for op in api["operations"]]


async def test_import_makes_one_operation_per_root_field_with_its_verb(publisher: Publisher) -> None:
    api = await _imported(publisher)
    assert api["type"] == "GRAPHQL"
    assert _verbs(api) == [
        ("QUERY", "hero"),
        ("QUERY", "human"),
        ("MUTATION", "createReview"),
        ("SUBSCRIPTION", "reviewAdded"),
    ]
    assert {op["authType"] for op in api["operations"]} == {"Any"}
    validated = await publisher.client.post(
        f"{BASE}/apis/validate-graphql-schema",
        files={"file": ("schema.graphql", STARWARS.encode())},
        headers=publisher.auth(),
    )
    body = validated.json()
    assert (body["isValid"], body["errorMessage"]) == (True, "")
    assert [(op["verb"], op["target"]) for op in body["graphQLInfo"]["operations"]] == _verbs(api)
    assert body["graphQLInfo"]["graphQLSchema"]["schemaDefinition"] == STARWARS


async def test_invalid_sdl_is_reported_with_its_line_and_column(publisher: Publisher) -> None:
    broken = "type Query {\n  hero: Character\n  ok(: Int\n}\n"
    validated = await publisher.client.post(
        f"{BASE}/apis/validate-graphql-schema",
        files={"file": ("schema.graphql", broken.encode())},
        headers=publisher.auth(),
    )
    assert validated.status_code == 200
    body = validated.json()
    assert body["isValid"] is False
    assert "line 3, column 6" in body["errorMessage"]
    assert "Syntax Error" in body["errorMessage"]
    unknown_type = await _import(publisher, "type Query {\n  hero: Character\n}\n")
    assert unknown_type.status_code == 400
    assert "line 2, column 9: Unknown type 'Character'" in unknown_type.json()["description"]


async def test_the_schema_round_trips_byte_for_byte_and_put_keeps_settings_of_staying_operations(
    publisher: Publisher,
) -> None:
    api = await _imported(publisher)
    url = f"{BASE}/apis/{api['id']}/graphql-schema"
    got = await publisher.client.get(url, headers=publisher.auth())
    assert got.json()["schemaDefinition"] == STARWARS
    assert got.json()["name"].endswith(".graphql")
    api["scopes"] = [{"scope": {"name": "read:heroes", "displayName": "Heroes"}, "shared": False}]
    api["operations"][0].update(scopes=["read:heroes"], throttlingPolicy="10KPerMin", authType="None")
    updated = await publisher.client.put(f"{BASE}/apis/{api['id']}", json=api, headers=publisher.auth())
    assert updated.status_code == 200, updated.text
    changed = STARWARS.replace("  human(id: ID!): Human\n", "  droid(id: ID!): Character\n") + "\n\n"
    put = await publisher.client.put(url, data={"schemaDefinition": changed}, headers=publisher.auth())
    assert put.status_code == 200, put.text
    assert (await publisher.client.get(url, headers=publisher.auth())).json()["schemaDefinition"] == changed
    after = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).json()
    assert _verbs(after)[:2] == [("QUERY", "hero"), ("QUERY", "droid")]
    hero = after["operations"][0]
    assert (hero["scopes"], hero["throttlingPolicy"]) == (["read:heroes"], "10KPerMin")
    assert hero["authType"] == "None"
    assert after["operations"][1]["authType"] == "Any"
    refused = await publisher.client.put(url, data={"schemaDefinition": "type {"}, headers=publisher.auth())
    assert refused.status_code == 400
    assert "line 1, column 6" in refused.json()["description"]


async def test_operations_of_a_graphql_api_must_be_root_fields_with_their_verb(publisher: Publisher) -> None:
    api = await _imported(publisher)
    url = f"{BASE}/apis/{api['id']}"
    for operation, named in (
        ({"target": "villain", "verb": "QUERY"}, "villain"),
        ({"target": "hero", "verb": "MUTATION"}, "hero"),
        ({"target": "/hero", "verb": "GET"}, "QUERY, MUTATION"),
    ):
        response = await publisher.client.put(
            url, json={**api, "operations": [operation]}, headers=publisher.auth()
        )
        assert response.status_code == 400, operation
        assert named in response.text


async def test_put_complexity_refuses_an_unknown_type_or_field_and_keeps_known_values(
    publisher: Publisher,
) -> None:
    api = await _imported(publisher)
    url = f"{BASE}/apis/{api['id']}/graphql-policies/complexity"
    assert (await publisher.client.get(url, headers=publisher.auth())).json() == {"list": []}
    values = {"list": [{"type": "Human", "field": "friends", "complexityValue": 5}]}
    assert (await publisher.client.put(url, json=values, headers=publisher.auth())).status_code == 200
    assert (await publisher.client.get(url, headers=publisher.auth())).json() == values
    for wrong, named in (
        ({"type": "Starship", "field": "name", "complexityValue": 2}, "Starship"),
        ({"type": "Human", "field": "starships", "complexityValue": 2}, "starships"),
        ({"type": "Unused", "field": "note", "complexityValue": 2}, "Unused"),
    ):
        refused = await publisher.client.put(url, json={"list": [wrong]}, headers=publisher.auth())
        assert refused.status_code == 400, refused.text
        assert named in refused.json()["description"]
    assert (await publisher.client.get(url, headers=publisher.auth())).json() == values


async def test_types_and_their_fields_are_listed_from_the_parsed_schema(publisher: Publisher) -> None:
    api = await _imported(publisher)
    response = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/graphql-policies/complexity/types", headers=publisher.auth()
    )
    found = {t["type"]: t["fieldList"] for t in response.json()["typeList"]}
    assert found == {
        "Root": ["hero", "human"],
        "Mutation": ["createReview"],
        "Subscription": ["reviewAdded"],
        "Character": ["id", "name", "friends"],
        "Human": ["id", "name", "friends", "homePlanet"],
        "Review": ["stars", "commentary"],
    }


async def test_introspection_can_be_switched_off_only_on_a_graphql_api(publisher: Publisher) -> None:
    rest = await publisher.client.post(
        f"{BASE}/apis",
        json={"name": "Rest", "context": "/rest", "version": "1", "graphQLIntrospection": False},
        headers=publisher.auth(),
    )
    assert rest.status_code == 400
    assert "graphQLIntrospection" in rest.text
    api = await _imported(publisher, graphQLIntrospection=False)
    assert api["graphQLIntrospection"] is False


async def test_another_tenant_gets_404_and_a_token_without_the_scope_403(publisher: Publisher) -> None:
    api = await _imported(publisher)
    acme = publisher.auth(tenant="acme.com", user="bob@acme.com")
    for path in ("graphql-schema", "graphql-policies/complexity", "graphql-policies/complexity/types"):
        url = f"{BASE}/apis/{api['id']}/{path}"
        assert (await publisher.client.get(url, headers=acme)).status_code == 404, path
        assert (
            await publisher.client.get(url, headers=publisher.auth(["apim:subscribe"]))
        ).status_code == 403, path
    put = await publisher.client.put(
        f"{BASE}/apis/{api['id']}/graphql-policies/complexity",
        json={"list": []},
        headers=publisher.auth(["apim:api_view"]),
    )
    assert put.status_code == 403
    assert (await _import(publisher, headers=publisher.auth(["apim:api_view"]))).status_code == 403


async def test_the_deployed_artifact_carries_the_schema_operations_and_complexity(
    publisher: Publisher,
) -> None:
    api = await _imported(publisher, graphQLIntrospection=False)
    values = {"list": [{"type": "Root", "field": "hero", "complexityValue": 3}]}
    await publisher.client.put(
        f"{BASE}/apis/{api['id']}/graphql-policies/complexity", json=values, headers=publisher.auth()
    )
    revision = await publisher.revise(api["id"])
    assert (await publisher.deploy(api["id"], revision["id"])).status_code == 201
    artifact = (
        await publisher.client.get(
            f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
        )
    ).json()
    assert artifact["type"] == "GRAPHQL"
    assert artifact["graphQLSchema"] == STARWARS
    assert artifact["graphQLComplexity"] == values
    assert artifact["graphQLIntrospection"] is False
    assert {
        (op["verb"], op["target"], op["authType"], op["throttlingPolicy"], tuple(op["scopes"]))
        for op in artifact["operations"]
    } == {
        ("QUERY", "hero", "Any", "Unlimited", ()),
        ("QUERY", "human", "Any", "Unlimited", ()),
        ("MUTATION", "createReview", "Any", "Unlimited", ()),
        ("SUBSCRIPTION", "reviewAdded", "Any", "Unlimited", ()),
    }
