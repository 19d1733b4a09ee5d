"""A streaming API's project carries its AsyncAPI definition from one environment to another, and a
GraphQL API's its schema, byte for byte, and its complexity values (one module: one pair of platforms)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.conftest import Cli

pytestmark = pytest.mark.e2e

ASYNCAPI = """\
asyncapi: 2.6.0
info:
  title: Live Orders
  version: 1.0.0
  description: Orders as they happen
servers:
  production:
    url: wss://orders.example.com/ws
    protocol: wss
channels:
  /orders:
    subscribe:
      message:
        payload: {type: object}
  /cancellations:
    publish:
      message:
        payload: {type: string}
"""


def _publisher(cli: Cli, env: str) -> httpx.Client:
    stored = json.loads((Path(cli.env["APIMCTL_CONFIG_DIR"]) / "credentials.json").read_text())
    token = stored[env]["accessToken"]
    return httpx.Client(
        base_url=f"{cli.urls[env]}/api/am/publisher/v4", headers={"Authorization": f"Bearer {token}"}
    )


def _api(cli: Cli, env: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The API and its AsyncAPI definition, as the environment's Publisher API shows them."""
    with _publisher(cli, env) as http:
        [found] = [a for a in http.get("/apis").json()["list"] if a["name"] == "Live Orders"]
        api: dict[str, Any] = http.get(f"/apis/{found['id']}").json()
        definition: dict[str, Any] = http.get(f"/apis/{found['id']}/asyncapi").json()
        return api, definition


def test_an_asyncapi_api_round_trips_through_export_and_import(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "orders.yaml"
    source.write_text(ASYNCAPI)
    assert cli("init", tmp_path / "LiveOrders", "--oas", source).exit_code == 0
    assert (tmp_path / "LiveOrders" / "Definitions" / "asyncapi.yaml").is_file()
    imported = cli("import", "api", "-f", tmp_path / "LiveOrders", "-e", "dev")
    assert imported.exit_code == 0, imported.output
    dev_api, dev_definition = _api(cli, "dev")
    assert dev_api["type"] == "WS"
    topics = sorted((op["verb"], op["target"]) for op in dev_api["operations"])
    assert topics == [("PUBLISH", "/cancellations"), ("SUBSCRIBE", "/orders")]

    exported = cli("export", "api", "-n", "Live Orders", "-v", "1.0.0", "-e", "dev", "-o", tmp_path / "out")
    assert exported.exit_code == 0, exported.output
    [archive] = (tmp_path / "out").glob("*.zip")
    moved = cli("import", "api", "-f", archive, "-e", "prod")
    assert moved.exit_code == 0, moved.output
    prod_api, prod_definition = _api(cli, "prod")
    assert prod_api["type"] == "WS"
    assert sorted((op["verb"], op["target"]) for op in prod_api["operations"]) == topics
    assert prod_definition == dev_definition
    assert prod_definition["channels"]["/orders"]["subscribe"]["message"]["payload"] == {"type": "object"}


# Comments and spacing a re-serialised schema would lose.
SCHEMA = """# Films, as the studio publishes them.
type Query {
  film(id: ID!): Film
  films(first: Int):   [Film]
}

type Mutation { rate(id: ID!, stars: Int!): Film }

type Film {
  id: ID!
  title: String
  reviews(first: Int): [String]
}
"""
COMPLEXITY = {"list": [{"type": "Film", "field": "reviews", "complexityValue": 7}]}


def _graphql_api(cli: Cli, env: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The API, its schema and its complexity values, as the environment's Publisher shows them."""
    with _publisher(cli, env) as http:
        [found] = [a for a in http.get("/apis").json()["list"] if a["name"] == "Films"]
        api: dict[str, Any] = http.get(f"/apis/{found['id']}").json()
        schema = str(http.get(f"/apis/{found['id']}/graphql-schema").json()["schemaDefinition"])
        complexity: dict[str, Any] = http.get(f"/apis/{found['id']}/graphql-policies/complexity").json()
        return api, schema, complexity


def test_a_graphql_api_round_trips_through_export_and_import(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "films.graphql"
    source.write_text(SCHEMA)
    assert cli("init", tmp_path / "Films", "--oas", source).exit_code == 0
    assert (tmp_path / "Films" / "Definitions" / "schema.graphql").read_bytes() == SCHEMA.encode()
    imported = cli("import", "api", "-f", tmp_path / "Films", "-e", "dev")
    assert imported.exit_code == 0, imported.output
    dev_api, dev_schema, _ = _graphql_api(cli, "dev")
    assert dev_api["type"] == "GRAPHQL"
    assert [(op["verb"], op["target"]) for op in dev_api["operations"]] == [
        ("QUERY", "film"),
        ("QUERY", "films"),
        ("MUTATION", "rate"),
    ]
    with _publisher(cli, "dev") as http:
        put = http.put(f"/apis/{dev_api['id']}/graphql-policies/complexity", json=COMPLEXITY)
        assert put.status_code == 200, put.text

    exported = cli("export", "api", "-n", "Films", "-v", "1.0.0", "-e", "dev", "-o", tmp_path / "out")
    assert exported.exit_code == 0, exported.output
    [archive] = (tmp_path / "out").glob("*.zip")
    names = zipfile.ZipFile(io.BytesIO(archive.read_bytes())).namelist()
    [carried] = [n for n in names if n.endswith("/Definitions/schema.graphql")]
    assert zipfile.ZipFile(archive).read(carried) == SCHEMA.encode()
    moved = cli("import", "api", "-f", archive, "-e", "prod")
    assert moved.exit_code == 0, moved.output
    prod_api, prod_schema, prod_complexity = _graphql_api(cli, "prod")
    assert prod_schema == dev_schema == SCHEMA
    assert prod_complexity == COMPLEXITY
    assert prod_api["operations"] == dev_api["operations"]
    assert (prod_api["type"], prod_api["context"]) == ("GRAPHQL", dev_api["context"])
