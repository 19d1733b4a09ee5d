"""GraphQL APIs in the portals, in headless Chromium: the Publisher validates and imports a schema
(an invalid one shown with its line and column), edits the operations' tiers, auth types and
scopes and the complexity values per type and field; the Developer Portal shows the schema and
runs a query through the gateway with an application's token from its console."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.portals.conftest import (
    PUBLISHER,
    deploy_revision,
    production_keys,
    publish,
    screenshot,
    sign_in,
    subscribed_app,
)
from tests.support.graphql_backend import SCHEMA, graphql_backend

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def films_backend() -> Iterator[str]:
    with graphql_backend() as port:
        yield f"http://127.0.0.1:{port}/graphql"


def films_api(control: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    r = control.get(f"{PUBLISHER}/apis", params={"query": "name:FilmsConsole"}, headers=auth)
    [summary] = [a for a in r.json()["list"] if a["name"] == "FilmsConsole"]
    api: dict[str, Any] = control.get(f"{PUBLISHER}/apis/{summary['id']}", headers=auth).json()
    return api


def test_01_an_invalid_schema_is_shown_with_its_line_and_column(page: Page, tmp_path: Path) -> None:
    sign_in(page, "/publisher/apis")
    broken = tmp_path / "broken.graphql"
    broken.write_text("type Query {\n  films: [Film\n}\n")
    page.set_input_files("#graphql-file", str(broken))
    page.click("#graphql-form button[value=validate]")
    expect(page.locator("#graphql-problems")).to_contain_text("line 3, column 1")
    screenshot(page, "graphql-01-invalid-schema")


def test_02_a_schema_is_imported_and_its_operations_edited(
    page: Page, tmp_path: Path, control: httpx.Client, auth: dict[str, str], films_backend: str
) -> None:
    schema = tmp_path / "films.graphql"
    schema.write_text(SCHEMA)
    page.set_input_files("#graphql-file", str(schema))
    page.click("#graphql-form button[value=validate]")
    expect(page.locator("#graphql-operations")).to_contain_text("allFilms")
    page.set_input_files("#graphql-file", str(schema))
    page.fill("#graphql-name", "FilmsConsole")
    page.fill("#graphql-context", "/films-console")
    page.fill("#graphql-endpoint", films_backend)
    page.click("#graphql-form button[value=import]")
    rows = page.locator("#operations-form tr.operation")
    expect(rows).to_have_count(8)
    page.select_option('select[aria-label="Auth of MUTATION addFilm"]', "None")
    page.fill('input[aria-label="Scopes of MUTATION rateFilm"]', "films:rate")
    page.fill("#operations-form input[name=scope_name]", "films:rate")
    page.click("#operations-form button[type=submit]")
    expect(page.locator("p.alert[role=status]")).to_contain_text("Saved")
    screenshot(page, "graphql-02-operations")
    operations = {op["target"]: op for op in films_api(control, auth)["operations"]}
    assert operations["addFilm"]["authType"] == "None"
    assert operations["rateFilm"]["scopes"] == ["films:rate"]
    assert operations["allFilms"]["authType"] == "Any"


def test_03_complexity_values_are_edited_per_type_and_field(
    page: Page, control: httpx.Client, auth: dict[str, str]
) -> None:
    api = films_api(control, auth)
    page.goto(f"/publisher/apis/{api['id']}/complexity")
    page.fill('input[aria-label="Complexity of Film.planets"]', "5")
    page.click("#complexity-form button[type=submit]")
    expect(page.locator("p.alert[role=status]")).to_contain_text("Complexity values saved")
    expect(page.locator('input[aria-label="Complexity of Film.planets"]')).to_have_value("5")
    screenshot(page, "graphql-03-complexity")
    stored = control.get(f"{PUBLISHER}/apis/{api['id']}/graphql-policies/complexity", headers=auth).json()
    assert stored == {"list": [{"type": "Film", "field": "planets", "complexityValue": 5}]}


def _release(control: httpx.Client, auth: dict[str, str], api_id: str) -> None:
    deployments = deploy_revision(control, auth, api_id)
    assert all(d.get("status") != "CREATED" for d in deployments), "deployments need approval here"
    publish(control, auth, api_id)


def test_04_the_devportal_shows_the_schema_and_runs_a_query_with_an_applications_token(
    page: Page, control: httpx.Client, auth: dict[str, str]
) -> None:
    api = films_api(control, auth)
    _release(control, auth, api["id"])
    user, app_id = subscribed_app(control, "graphql_portal_dev", "FilmsConsoleApp", api["id"], "Unlimited")
    production_keys(control, user, app_id)

    sign_in(page, f"/devportal/applications/{app_id}")
    page.locator(".token-form").first.locator("button[type=submit]").click()
    expect(page.locator("#access-token")).not_to_be_empty()
    page.goto(f"/devportal/apis/{api['id']}/graphql")
    expect(page.locator("#graphql-schema")).to_contain_text("type Subscription")
    expect(page.locator("#graphql-types")).to_contain_text("Planet")
    page.select_option("#credential", index=1)
    expect(page.locator("#credential-result")).to_contain_text("Try-it calls now use")
    page.fill("#graphql-query", 'query { hello(name: "console") }')
    result = page.locator("#graphql-result")
    deadline = time.monotonic() + 15
    while True:
        page.click("#graphql-run")
        expect(page.locator("#graphql-status")).to_contain_text("HTTP")
        if "hello console" in result.inner_text() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    expect(result).to_contain_text('"hello": "hello console"')
    screenshot(page, "graphql-04-devportal-console")
