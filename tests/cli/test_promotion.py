"""The promotion walk of a CI pipeline: init and import into dev, export, import into prod with a
params file, then dump / diff / apply against prod, and a broken file."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Cli, drift_then_apply

pytestmark = pytest.mark.e2e

OPENAPI = """\
openapi: 3.0.1
info:
  title: Pizza Shack
  version: 1.0.0
  description: Order pizzas
servers:
  - url: http://dev-backend.example.com/pizza
paths:
  /menu:
    get:
      responses:
        '200': {description: the menu}
  /order:
    post:
      responses:
        '201': {description: ordered}
"""
PARAMS = """\
# Environment-specific values; ${PROD_BACKEND} comes from the CI job's environment.
environments:
  - name: prod
    configs:
      endpoints:
        production:
          url: ${PROD_BACKEND}
        sandbox:
          url: ${PROD_BACKEND}
      deploymentEnvironments:
        - deploymentEnvironment: Default
          deploymentVhost: localhost
          displayOnDevportal: true
      values:
        description: Pizzas in production
"""


def _api(cli: Cli, env: str, name: str = "Pizza Shack") -> dict[str, object]:
    """The API as the environment's Publisher API shows it (checked beside the CLI's own output)."""
    token = _token(cli, env)
    with httpx.Client(base_url=cli.urls[env], headers={"Authorization": f"Bearer {token}"}) as http:
        listed = http.get("/api/am/publisher/v4/apis").json()["list"]
        [found] = [a for a in listed if a["name"] == name]
        api: dict[str, object] = http.get(f"/api/am/publisher/v4/apis/{found['id']}").json()
        return api


def _token(cli: Cli, env: str) -> str:
    import json

    stored = json.loads((Path(cli.env["APIMCTL_CONFIG_DIR"]) / "credentials.json").read_text())
    return str(stored[env]["accessToken"])


def test_an_api_goes_from_dev_to_prod_and_prod_is_kept_as_the_files_say(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    oas = tmp_path / "pizza.yaml"
    oas.write_text(OPENAPI)
    assert cli("init", tmp_path / "PizzaShack", "--oas", oas).exit_code == 0
    imported = cli("import", "api", "-f", tmp_path / "PizzaShack", "-e", "dev")
    assert imported.exit_code == 0, imported.output
    assert "Successfully imported API (revision 1)" in imported.output

    exported = cli("export", "api", "-n", "Pizza Shack", "-v", "1.0.0", "-e", "dev", "-o", tmp_path / "out")
    assert exported.exit_code == 0, exported.output
    archive = tmp_path / "out" / "PizzaShack_1.0.0.zip"
    assert archive.exists()

    params = tmp_path / "params.yaml"
    params.write_text(PARAMS)
    cli.env["PROD_BACKEND"] = "https://prod-backend.example.com/pizza"
    promoted = cli("import", "api", "-f", archive, "-e", "prod", "--params", params)
    assert promoted.exit_code == 0, promoted.output
    prod_api = _api(cli, "prod")
    assert prod_api["description"] == "Pizzas in production"
    endpoints = prod_api["endpointConfig"]
    assert isinstance(endpoints, dict)
    assert endpoints["production_endpoints"]["url"] == "https://prod-backend.example.com/pizza"
    assert _api(cli, "dev")["description"] == "Order pizzas"

    state = tmp_path / "state"
    assert cli("dump", "-e", "prod", "-d", state).exit_code == 0
    api_file = state / "apis" / "Pizza_Shack-1.0.0.yaml"
    assert "deploymentEnvironment: Default" in api_file.read_text()
    drift_then_apply(
        cli,
        "prod",
        state,
        api_file,
        ("Pizzas in production", "Pizzas, now with calzone"),
        "API Pizza Shack 1.0.0",
    )
    assert _api(cli, "prod")["description"] == "Pizzas, now with calzone"
    again = cli.subprocess("diff", "-e", "prod", "-d", state)
    assert again.exit_code == 0, again.output

    (state / "apis" / "broken.yaml").write_text("kind: API\nname: [unclosed\n")
    broken = cli.subprocess("diff", "-e", "prod", "-d", state)
    assert broken.exit_code == 3
    assert "broken.yaml: line 3" in broken.output
    assert "Traceback" not in broken.output
