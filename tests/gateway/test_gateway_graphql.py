"""GraphQL APIs through the gateway, to a real graphql-core backend: WSO2's depth and complexity
oracles, fragments and aliases, introspection, per-operation scopes and tiers, the size guards."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from graphql import get_introspection_query

from tests.gateway.conftest import (
    TENANT,
    FakeControlPlane,
    Harness,
    RunningGateway,
    base_snapshot,
    count_limit,
)
from tests.gateway.test_gateway_analytics_events import Events
from tests.support.graphql_backend import SCHEMA, graphql_backend
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.asyncio(loop_scope="module")

# WSO2's documentation: the depth example (7) and the three complexity examples (8, 35, 225),
# each with the field values its comments give.
DEPTH_7 = """query {
  allFilms { id Species { id films { title planets { id residents { eyeColor
    films { director producers } } } } } }
}"""
COMPLEXITY_8 = "query { allFilms { id title planets { climate } } }"
COMPLEXITY_35 = "query { allFilms(first: 5) { id title planets(first: 2) { climate } } }"
COMPLEXITY_225 = """query { allFilms(first: 5) { id title
  planets(first: 2) { climate films(first: 5) { createdAt director } } } }"""
FILM_VALUES = [
    {"type": "Film", "field": "id", "complexityValue": 3},
    {"type": "Film", "field": "planets", "complexityValue": 2},
]
CLIMATE_3 = [{"type": "Planet", "field": "climate", "complexityValue": 3}]


def operation(verb: str, target: str, **extra: Any) -> dict[str, Any]:
    return {"verb": verb, "target": target, "authType": "Any", "scopes": [], **extra}


def films_api(port: int, api_id: str, context: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": api_id,
        "name": api_id,
        "context": context,
        "version": "1.0.0",
        "lifeCycleStatus": "PUBLISHED",
        "type": "GRAPHQL",
        "tenant": TENANT,
        "revisionId": f"rev-{api_id}",
        "environment": "Default",
        "vhost": "localhost",
        "securityScheme": ["oauth2"],
        "authorizationHeader": "Authorization",
        "policies": ["Gold"],
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"http://127.0.0.1:{port}/graphql"},
        },
        "graphQLSchema": SCHEMA,
        "operations": [
            operation("QUERY", "allFilms", throttlingPolicy="TwoPerMin"),
            operation("QUERY", "film"),
            operation("QUERY", "allPlanets"),
            operation("QUERY", "hello", scopes=["films:hello"]),
            operation("MUTATION", "addFilm", scopes=["films:write"]),
            operation("MUTATION", "rateFilm"),
            operation("SUBSCRIPTION", "counter", throttlingPolicy="TwoPerMin"),
            operation("SUBSCRIPTION", "filmAdded", scopes=["films:watch"]),
        ],
        **extra,
    }


def _subscribe(snapshot: dict[str, Any], app: str, api: str, tier: str) -> None:
    snapshot["devportal"]["subscriptions"].append(
        {
            "subscriptionId": f"sub-{app}-{api}",
            "applicationId": app,
            "apiId": api,
            "throttlingPolicy": tier,
            "status": "UNBLOCKED",
        }
    )


def graphql_snapshot(backend_port: int, port: int) -> dict[str, dict[str, Any]]:
    """Films APIs with WSO2's example complexity values; app-1 on the tier ``Tight`` (depth 5,
    complexity 1), app-2 on ``Exact`` (depth 7, complexity 225), app-3 on the default ``Gold``."""
    snapshot = copy.deepcopy(base_snapshot(backend_port))
    apis = [
        films_api(port, "films", "/films", graphQLComplexity={"list": FILM_VALUES}),
        films_api(port, "films-plain", "/films-plain"),
        films_api(
            port, "films-climate", "/films-climate", graphQLComplexity={"list": FILM_VALUES + CLIMATE_3}
        ),
        films_api(port, "films-closed", "/films-closed", graphQLIntrospection=False),
    ]
    snapshot["publisher"]["artifacts"] += apis
    devportal = snapshot["devportal"]
    for app_id, client_id in (("app-2", "client-2"), ("app-3", "client-3")):
        devportal["applications"].append(
            {
                "applicationId": app_id,
                "name": app_id,
                "owner": "bob",
                "throttlingPolicy": "Unlimited",
                "status": "APPROVED",
                "tenant": TENANT,
            }
        )
        devportal["keyMappings"].append(
            {
                "applicationId": app_id,
                "keyType": "PRODUCTION",
                "keyManager": "Resident Key Manager",
                "consumerKey": client_id,
            }
        )
    for api in apis:
        _subscribe(snapshot, "app-1", api["id"], "Tight")
        _subscribe(snapshot, "app-2", api["id"], "Exact")
        _subscribe(snapshot, "app-3", api["id"], "Gold")
    tiers = snapshot["admin"]["throttlePolicies"]
    tiers["subscription"] += [
        {
            "policyName": name,
            "defaultLimit": count_limit(5000),
            "graphQLMaxDepth": depth,
            "graphQLMaxComplexity": complexity,
            "tenant": TENANT,
        }
        for name, depth, complexity in (("Tight", 5, 1), ("Exact", 7, 225))
    ]
    tiers["advanced"].append({"policyName": "TwoPerMin", "defaultLimit": count_limit(2), "tenant": TENANT})
    # Subscriptions' messages counted as events: app-3 on a tier of four a day.
    snapshot["publisher"]["artifacts"].append(films_api(port, "films-metered", "/films-metered"))
    _subscribe(snapshot, "app-3", "films-metered", "FourEvents")
    tiers["subscription"].append(
        {
            "policyName": "FourEvents",
            "defaultLimit": count_limit(4, "day"),
            "stopOnQuotaReach": True,
            "tenant": TENANT,
        }
    )
    return snapshot


@pytest.fixture(scope="module")
def graphql_port() -> Iterator[int]:
    with graphql_backend() as port:
        yield port


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(
    tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory, backend_port: int, graphql_port: int
) -> AsyncIterator[Harness]:
    """One gateway for the module: each test uses its own API, client or operation where counts
    or caches would otherwise meet."""
    control_plane = FakeControlPlane(tokens, graphql_snapshot(backend_port, graphql_port))
    async with (
        RunningGateway(tmp_path_factory.mktemp("graphql"), control_plane, {}) as (gateway, bus),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://localhost") as client,
    ):
        yield Harness(gateway, client, bus, control_plane, tokens, backend_port)


async def _query(
    harness: Harness,
    query: str,
    *,
    api: str = "/films",
    client: str = "client-2",
    scopes: str = "",
    **body: Any,
) -> Any:
    headers = harness.bearer(client, scopes)
    return await harness.client.post(f"{api}/1.0.0", json={"query": query, **body}, headers=headers)


def _refused(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()
    assert error["code"] == code, error
    return str(error["description"])


async def test_the_depth_oracle_is_7_refused_at_5_and_accepted_at_7(harness: Harness) -> None:
    refused = await _query(harness, DEPTH_7, client="client-1")
    assert "depth 7 is above the maximum depth 5" in _refused(refused, 400, "900820")
    accepted = await _query(harness, DEPTH_7, client="client-2")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["data"]["allFilms"][0]["Species"][0]["films"][0]["title"] == "Film 1"


async def test_the_complexity_oracles_are_8_35_and_225(harness: Harness) -> None:
    for api, query, expected in (
        ("/films", COMPLEXITY_8, 8),
        ("/films-plain", COMPLEXITY_35, 35),
        ("/films-climate", COMPLEXITY_225, 225),
    ):
        refused = await _query(harness, query, api=api, client="client-1")
        description = _refused(refused, 400, "900821")
        assert f"complexity {expected} is above the maximum complexity 1" in description
    at_the_limit = await _query(harness, COMPLEXITY_225, api="/films-climate", client="client-2")
    assert at_the_limit.status_code == 200, at_the_limit.text


async def test_fragments_and_aliases_are_expanded_and_counted(harness: Harness) -> None:
    query = """query Films($n: Int = 3) { ...Root }
      fragment Root on Query { a: allFilms(first: $n) { ...Parts } b: allFilms { id } }
      fragment Parts on Film { id ... on Film { title planets(first: 2) { climate } } }"""
    # a: 3 x (allFilms 1 + id 3 + title 1 + planets 2 x (2 + 1)) = 33; b: 1 x (1 + 3) = 4
    refused = await _query(harness, query, client="client-1", operationName="Films")
    assert "complexity 37 is above" in _refused(refused, 400, "900821")
    refused = await _query(harness, query, client="client-1", variables={"n": 10})
    assert "complexity 114 is above" in _refused(refused, 400, "900821")
    deep = (
        "{ ...A } fragment A on Query { allFilms { ...B } } fragment B on Film { planets { films { id } } }"
    )
    refused = await _query(harness, deep, client="client-1", api="/films-plain")
    assert "complexity" in _refused(refused, 400, "900821")
    accepted = await _query(harness, query, client="client-2")
    assert accepted.status_code == 200, accepted.text
    assert len(accepted.json()["data"]["a"]) == 3


async def test_post_json_post_graphql_and_get_reach_the_backend_as_post_json(harness: Harness) -> None:
    headers = harness.bearer("client-3")
    query = "query Named { film(id: 2) { title } }"
    as_json = await harness.client.post("/films/1.0.0", json={"query": query}, headers=headers)
    as_graphql = await harness.client.post(
        "/films/1.0.0", content=query, headers={**headers, "Content-Type": "application/graphql"}
    )
    as_get = await harness.client.get(
        "/films/1.0.0",
        params={
            "query": "query Q($id: ID!) { film(id: $id) { title } }",
            "variables": '{"id": "2"}',
            "x": "1",
        },
        headers=headers,
    )
    for response in (as_json, as_graphql, as_get):
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["data"] == {"film": {"title": "Film 2"}}
        assert (answer["extensions"]["method"], answer["extensions"]["contentType"]) == (
            "POST",
            "application/json",
        )
    assert as_get.json()["extensions"]["query"] == "x=1"


async def test_an_invalid_query_is_400_900422(harness: Harness) -> None:
    for query in (
        "{ allFilms { nothing } }",
        "{ allFilms { id }",
        "{ hello(name: 3) }",
        "subscription { counter(upTo: 1) }",
        "{ film(id: 1) { name: title name: director } }",  # fields that cannot merge
    ):
        response = await _query(harness, query)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["code"] == "900422"
    not_json = await harness.client.post(
        "/films/1.0.0",
        content=b"{",
        headers={**harness.bearer("client-2"), "Content-Type": "application/json"},
    )
    assert _refused(not_json, 400, "900422") == "The request body is not JSON"


async def test_introspection_passes_under_the_default_tiers(harness: Harness) -> None:
    response = await _query(harness, get_introspection_query(), client="client-3")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_is_refused_when_the_api_switches_it_off(harness: Harness) -> None:
    refused = await _query(
        harness, "{ __schema { queryType { name } } }", api="/films-closed", client="client-3"
    )
    assert "Introspection" in _refused(refused, 403, "900908")
    refused = await _query(
        harness, '{ __type(name: "Film") { name } }', api="/films-closed", client="client-3"
    )
    assert refused.status_code == 403
    served = await _query(
        harness, "{ film(id: 1) { __typename title } }", api="/films-closed", client="client-3"
    )
    assert served.status_code == 200, served.text


async def test_each_elected_operation_needs_its_own_scopes(harness: Harness) -> None:
    open_query = await _query(harness, "{ film(id: 1) { id } }", client="client-3")
    assert open_query.status_code == 200
    both = "{ film(id: 1) { id } ...F } fragment F on Query { hello }"
    assert "films:hello" in _refused(await _query(harness, both, client="client-3"), 403, "900910")
    allowed = await _query(harness, both, client="client-3", scopes="films:hello")
    assert allowed.json()["data"]["hello"] == "hello world"
    mutation = 'mutation { rateFilm(id: 1, stars: 5) { id } addFilm(title: "x") { title } }'
    assert "films:write" in _refused(
        await _query(harness, mutation, client="client-3", scopes="films:hello"), 403, "900910"
    )
    written = await _query(harness, mutation, client="client-3", scopes="films:write")
    assert written.json()["data"]["addFilm"] == {"title": "x"}


async def test_each_elected_operation_counts_at_its_own_tier(harness: Harness) -> None:
    api = "/films-closed"  # allFilms (TwoPerMin) is called here by no other test
    for _ in range(3):
        assert (
            await _query(harness, "{ film(id: 1) { id } }", api=api, client="client-3")
        ).status_code == 200
    both = "{ film(id: 1) { id } allFilms { id } }"
    for _ in range(2):
        assert (await _query(harness, both, api=api, client="client-3")).status_code == 200
    _refused(await _query(harness, "{ a: allFilms { id } }", api=api, client="client-3"), 429, "900802")
    _refused(await _query(harness, both, api=api, client="client-3"), 429, "900802")
    assert (await _query(harness, "{ film(id: 1) { id } }", api=api, client="client-3")).status_code == 200


async def test_the_analytics_event_names_the_operation_type_and_operations(harness: Harness) -> None:
    events = Events(harness)
    query = "{ film(id: 1) { id } b: allPlanets { id } film2: film(id: 2) { id } }"
    assert (await _query(harness, query, api="/films-plain", client="client-3")).status_code == 200
    for _ in range(200):  # the module's earlier calls may still be on their way
        found = [e.data for e in events.seen if e.data["apiResourceTemplate"] == "film,allPlanets"]
        if found:
            break
        await asyncio.sleep(0.01)
    assert [(d["apiType"], d["apiMethod"], d["apiId"]) for d in found] == [
        ("GRAPHQL", "QUERY", "films-plain")
    ]


async def test_queries_over_the_token_or_size_cap_are_400(harness: Harness) -> None:
    tokens = "{ " + " ".join(f"a{i}: hello" for i in range(700)) + " }"  # 2,102 tokens
    assert "2000 tokens" in _refused(await _query(harness, tokens, client="client-3"), 400, "900422")
    padded = "# " + "x" * (64 * 1024) + "\n{ film(id: 1) { id } }"
    assert "65536 bytes" in _refused(await _query(harness, padded, client="client-3"), 400, "900422")


async def test_fields_merged_past_2000_comparisons_are_400_before_the_merging_rule(harness: Harness) -> None:
    merged = "{ " + "film(id: 1) { id } " * 40 + "}"  # 1,560 comparisons: checked, and they merge
    assert (await _query(harness, merged, client="client-3")).status_code == 200
    repeated = "{ " + "film(id: 1) { id } " * 50 + "}"  # 2,450 comparisons
    refused = _refused(await _query(harness, repeated, client="client-3"), 400, "900422")
    assert "more than 2000 comparisons" in refused


async def test_a_repeated_query_is_analysed_once(harness: Harness) -> None:
    cache = harness.gateway.services.graphql
    before = len(cache)
    for variables in ({"n": 1}, {"n": 2}):
        response = await _query(
            harness, "query($n: Int) { allPlanets(first: $n) { id } }", client="client-3", variables=variables
        )
        assert len(response.json()["data"]["allPlanets"]) == variables["n"]
    assert len(cache) == before + 1


async def test_a_cors_preflight_is_answered_without_a_query(harness: Harness) -> None:
    cors = {
        "corsConfigurationEnabled": True,
        "accessControlAllowOrigins": ["https://console.example"],
        "accessControlAllowCredentials": False,
        "accessControlAllowHeaders": ["authorization", "Content-Type"],
        "accessControlAllowMethods": ["GET", "POST"],
    }
    api = films_api(harness.backend_port, "films-cors", "/films-cors", corsConfiguration=cors)
    assert harness.gateway.state.deploy(api)
    preflight = {"Origin": "https://console.example", "Access-Control-Request-Method": "POST"}
    answer = await harness.client.options("/films-cors/1.0.0", headers=preflight)
    assert answer.status_code == 204, answer.text
    assert answer.headers["access-control-allow-origin"] == "https://console.example"
