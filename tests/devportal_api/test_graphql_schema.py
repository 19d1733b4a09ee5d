"""The developer portal serves a GraphQL API's schema, complexity values and types as the
Publisher's events carry them, the types read from the schema by graphql-core."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.devportal_api.conftest import BASE, Portal, running_portal
from tests.support.tokens import TokenFactory

# One portal for the module: each test publishes APIs of its own.
pytestmark = pytest.mark.asyncio(loop_scope="module")

# What regular expressions get wrong: a description holding braces, arguments over several lines,
# an interface, an extension of a type and an input type that takes no complexity values.
SCHEMA = '''"""Entry points { for } readers"""
type Query {
  film(
    id: ID
    first: Int
  ): Film
}

interface Node { id: ID! }

type Film implements Node {
  "The title, as released {sic}"
  id: ID!
  title: String
}

extend type Film { director: String }

input FilmFilter { title: String }
'''
COMPLEXITY = {"list": [{"type": "Film", "field": "director", "complexityValue": 4}]}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def portal(tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Portal]:
    database = tmp_path_factory.mktemp("graphql-devportal") / "service.db"
    async with running_portal(tokens, f"sqlite+aiosqlite:///{database}") as running:
        yield running


async def test_schema_complexity_and_types_come_from_the_parsed_schema(portal: Portal) -> None:
    api = await portal.publish_api(
        name="Films", type="GRAPHQL", graphQLSchema=SCHEMA, graphQLComplexity=COMPLEXITY
    )
    schema = await portal.client.get(f"{BASE}/apis/{api['id']}/graphql-schema")
    assert schema.status_code == 200
    assert schema.text == SCHEMA
    complexity = await portal.client.get(f"{BASE}/apis/{api['id']}/graphql-policies/complexity")
    assert complexity.json() == COMPLEXITY
    types = await portal.client.get(f"{BASE}/apis/{api['id']}/graphql-policies/complexity/types")
    assert {t["type"]: t["fieldList"] for t in types.json()["typeList"]} == {
        "Query": ["film"],
        "Film": ["id", "title", "director"],
        "Node": ["id"],
    }


async def test_another_tenants_graphql_api_and_a_rest_api_answer_404(portal: Portal) -> None:
    hidden = await portal.publish_api(name="Secret", type="GRAPHQL", graphQLSchema=SCHEMA, tenant="acme.com")
    rest = await portal.publish_api(name="Rest")
    for api_id in (hidden["id"], rest["id"]):
        response = await portal.client.get(f"{BASE}/apis/{api_id}/graphql-policies/complexity/types")
        assert response.status_code == 404
    other = await portal.client.get(f"{BASE}/apis/{hidden['id']}/graphql-schema")
    assert other.status_code == 404
