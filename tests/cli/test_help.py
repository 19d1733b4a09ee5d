"""Every command explains itself."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from apimctl.main import app

pytestmark = pytest.mark.e2e
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}

COMMANDS = [
    [],
    ["add", "env"],
    ["remove", "env"],
    ["get", "envs"],
    ["get", "apis"],
    ["get", "apps"],
    ["get", "api-products"],
    ["login"],
    ["logout"],
    ["init"],
    ["import", "api"],
    ["import", "app"],
    ["import", "api-product"],
    ["export", "api"],
    ["export", "apis"],
    ["export", "app"],
    ["export", "api-product"],
    ["change-status", "api"],
    ["deploy", "revision"],
    ["undeploy", "revision"],
    ["dump"],
    ["diff"],
    ["apply"],
    ["version"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "apimctl")
def test_each_command_has_a_complete_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="apimctl", env=ENV)
    assert result.exit_code == 0, result.output
    assert f"Usage: {' '.join(['apimctl', *command])}" in result.output
    description = result.output.split("Usage:", 1)[1].split("\n", 2)[2].strip()
    assert description, "the command has no description"
    assert not description.startswith("╭"), "the command has no description"


def test_the_top_level_help_lists_the_exit_codes() -> None:
    result = CliRunner().invoke(app, ["--help"], env=ENV)
    assert "2 drift found by diff" in result.output
    assert "5 the platform could not be reached" in result.output


def test_a_missing_option_is_a_usage_error_with_exit_code_3() -> None:
    result = CliRunner().invoke(app, ["get", "apis"], env=ENV)
    assert result.exit_code == 3
    assert "Missing option" in result.output


def test_every_option_and_argument_says_what_it_is_for() -> None:
    missing = []

    def walk(command: object, path: str) -> None:
        for name, child in getattr(command, "commands", {}).items():
            walk(child, f"{path} {name}")
        for param in getattr(command, "params", []):
            if param.name != "help" and not getattr(param, "help", None):
                missing.append(f"{path} {param.name}")

    walk(typer.main.get_command(app), "apimctl")
    assert missing == []
