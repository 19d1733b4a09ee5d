"""apictl's commands against two running platforms: environments, login, errors and exit codes,
import/export, lifecycle, revisions, applications, and apply's --dry-run and --prune."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

pytestmark = pytest.mark.e2e

OPENAPI = """\
openapi: 3.0.1
info: {title: Weather, version: 2.0.0}
servers: [{url: "http://weather.example.com"}]
paths:
  /today:
    get:
      responses: {'200': {description: ok}}
"""


def _project(cli: Cli, tmp_path: Path, title: str = "Weather", version: str = "2.0.0") -> Path:
    oas = tmp_path / "oas.yaml"
    oas.write_text(OPENAPI.replace("Weather", title).replace("2.0.0", version))
    folder = tmp_path / title
    assert cli("init", folder, "--oas", oas).exit_code == 0
    return folder


def _apis(cli: Cli, env: str) -> dict[str, dict[str, str]]:
    listed = cli("get", "apis", "-e", env, "--format", "json")
    assert listed.exit_code == 0, listed.output
    return {a["name"]: a for a in json.loads(listed.output)}


def test_environments_are_added_listed_and_removed(cli: Cli) -> None:
    assert cli("add", "env", "staging", "--apim", "http://127.0.0.1:1").exit_code == 0
    listed = cli("get", "envs")
    assert "staging" in listed.output
    assert cli.urls["dev"] in listed.output
    assert cli("remove", "env", "staging").exit_code == 0
    assert "staging" not in cli("get", "envs").output
    assert cli("remove", "env", "staging").exit_code == 3


def test_init_writes_the_apictl_project_layout(cli: Cli, tmp_path: Path) -> None:
    folder = _project(cli, tmp_path)
    assert {p.name for p in folder.iterdir()} == {
        "api.yaml",
        "Definitions",
        "Docs",
        "Policies",
        "deployment_environments.yaml",
    }
    descriptor = (folder / "api.yaml").read_text()
    assert descriptor.startswith("# The API's fields")
    assert "type: api\nversion: v4.3.0\ndata:\n  name: Weather" in descriptor
    assert "context: /weather" in descriptor
    assert (folder / "Definitions" / "swagger.yaml").exists()
    again = cli("init", folder, "--oas", tmp_path / "oas.yaml")
    assert again.exit_code == 3
    assert "--force" in again.output


def test_tokens_go_to_a_private_file_when_no_keyring_is_used(cli: Cli) -> None:
    stored = Path(cli.env["APIMCTL_CONFIG_DIR"]) / "credentials.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert set(json.loads(stored.read_text())) >= {"dev", "prod"}


def test_a_wrong_password_prints_the_platforms_error_and_exits_4(cli: Cli) -> None:
    result = cli("login", "dev", "-u", "admin", "-p", "wrong")
    assert result.exit_code == 4
    assert "Error: 401" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_environment_exits_5(cli: Cli) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert cli("add", "env", "gone", "--apim", f"http://127.0.0.1:{port}").exit_code == 0
    result = cli("login", "gone", "-u", "admin", "-p", "admin")
    assert result.exit_code == 5
    assert "Cannot reach" in result.output
    cli("remove", "env", "gone")


def test_commands_need_a_login_first(cli: Cli) -> None:
    cli("add", "env", "fresh", "--apim", cli.urls["dev"])
    result = cli("get", "apis", "-e", "fresh")
    assert result.exit_code == 3
    assert "apimctl login fresh" in result.output
    cli("remove", "env", "fresh")


def test_importing_an_existing_api_needs_update(cli: Cli, tmp_path: Path) -> None:
    folder = _project(cli, tmp_path)
    assert cli("import", "api", "-f", folder, "-e", "dev").exit_code == 0
    again = cli("import", "api", "-f", folder, "-e", "dev")
    assert again.exit_code == 4
    assert "409 [900250]" in again.output
    updated = cli("import", "api", "-f", folder, "-e", "dev", "--update")
    assert updated.exit_code == 0, updated.output
    assert "revision 2" in updated.output


def test_a_params_file_without_the_environment_or_a_variable_is_refused(cli: Cli, tmp_path: Path) -> None:
    folder = _project(cli, tmp_path, "Maps", "1.0.0")
    params = tmp_path / "params.yaml"
    params.write_text(
        "environments:\n  - name: dev\n    configs:\n      endpoints:\n        production:\n"
        "          url: ${UNSET_BACKEND_FOR_TEST}\n"
    )
    missing_env = cli("import", "api", "-f", folder, "-e", "prod", "--params", params)
    assert missing_env.exit_code == 3
    assert "no entry for the environment 'prod'" in missing_env.output
    missing_variable = cli("import", "api", "-f", folder, "-e", "dev", "--params", params)
    assert missing_variable.exit_code == 3
    assert "UNSET_BACKEND_FOR_TEST is not set" in missing_variable.output


def test_lifecycle_and_revisions_are_driven_by_name_and_version(cli: Cli, tmp_path: Path) -> None:
    folder = _project(cli, tmp_path, "Forecast", "1.0.0")
    assert cli("import", "api", "-f", folder, "-e", "dev").exit_code == 0
    published = cli("change-status", "api", "-a", "Publish", "-n", "Forecast", "-v", "1.0.0", "-e", "dev")
    assert published.exit_code == 0, published.output
    assert _apis(cli, "dev")["Forecast"]["lifeCycleStatus"] == "PUBLISHED"
    refused = cli("change-status", "api", "-a", "Retire", "-n", "Forecast", "-v", "1.0.0", "-e", "dev")
    assert refused.exit_code == 4
    assert "900338" in refused.output

    undeployed = cli("undeploy", "revision", "-n", "Forecast", "-v", "1.0.0", "--rev", "1", "-e", "dev")
    assert undeployed.exit_code == 0, undeployed.output
    redeployed = cli(
        "deploy", "revision", "-n", "Forecast", "-v", "1.0.0", "--rev", "1", "-g", "Default", "-e", "dev"
    )
    assert redeployed.exit_code == 0, redeployed.output
    unknown = cli(
        "deploy", "revision", "-n", "Forecast", "-v", "1.0.0", "--rev", "9", "-g", "Default", "-e", "dev"
    )
    assert unknown.exit_code == 4
    assert "no revision 9" in unknown.output


def test_export_apis_writes_one_zip_per_api(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", "api", "-f", _project(cli, tmp_path, "Tides", "1.0.0"), "-e", "dev").exit_code == 0
    result = cli("export", "apis", "-e", "dev", "-o", tmp_path / "all")
    assert result.exit_code == 0, result.output
    names = {p.name for p in (tmp_path / "all").iterdir()}
    assert "Tides_1.0.0.zip" in names
    assert len(names) == len(_apis(cli, "dev"))


def test_apply_dry_run_changes_nothing_and_prune_deletes(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", "api", "-f", _project(cli, tmp_path, "Radar", "1.0.0"), "-e", "prod").exit_code == 0
    state = tmp_path / "state"
    assert cli("dump", "-e", "prod", "-d", state).exit_code == 0
    radar = state / "apis" / "Radar-1.0.0.yaml"
    copy = radar.read_text().replace("name: Radar", "name: Sonar").replace("/radar", "/sonar")
    (state / "apis" / "Sonar-1.0.0.yaml").write_text(copy)

    planned = cli("apply", "-e", "prod", "-d", state, "--dry-run")
    assert planned.exit_code == 0
    assert "create API Sonar 1.0.0" in planned.output
    assert "Sonar" not in _apis(cli, "prod")

    assert cli("apply", "-e", "prod", "-d", state).exit_code == 0
    assert _apis(cli, "prod")["Sonar"]["context"] == "/sonar"

    radar.unlink()
    assert cli("diff", "-e", "prod", "-d", state).exit_code == 0  # without --prune extra APIs are left alone
    drift = cli("diff", "-e", "prod", "-d", state, "--prune")
    assert drift.exit_code == 2
    assert "delete API Radar 1.0.0" in drift.output
    assert cli("apply", "-e", "prod", "-d", state, "--prune").exit_code == 0
    assert "Radar" not in _apis(cli, "prod")


def test_applications_are_applied_exported_and_imported(cli: Cli, tmp_path: Path) -> None:
    state = tmp_path / "apps"
    (state / "applications").mkdir(parents=True)
    (state / "applications" / "mobile.yaml").write_text(
        "kind: Application\nname: Mobile\nthrottlingPolicy: Unlimited\ndescription: The phone app\n"
    )
    applied = cli("apply", "-e", "dev", "-d", state)
    assert applied.exit_code == 0, applied.output
    assert "Mobile" in cli("get", "apps", "-e", "dev").output

    exported = cli("export", "app", "-n", "Mobile", "-e", "dev", "-o", tmp_path / "out")
    assert exported.exit_code == 0, exported.output
    imported = cli("import", "app", "-f", tmp_path / "out" / "Mobile.zip", "-e", "prod")
    assert imported.exit_code == 0, imported.output
    listed = json.loads(cli("get", "apps", "-e", "prod", "--format", "json").output)
    assert [a["name"] for a in listed if a["name"] == "Mobile"] == ["Mobile"]
    twice = cli("import", "app", "-f", tmp_path / "out" / "Mobile.zip", "-e", "prod")
    assert twice.exit_code == 3
    assert "--update" in twice.output


def test_logout_forgets_the_token(cli: Cli) -> None:
    cli("add", "env", "short", "--apim", cli.urls["dev"])
    assert cli("login", "short", "-u", "admin", "-p", "admin").exit_code == 0
    assert cli("get", "apis", "-e", "short").exit_code == 0
    assert "Logged out" in cli("logout", "short").output
    assert cli("get", "apis", "-e", "short").exit_code == 3
    cli("remove", "env", "short")
