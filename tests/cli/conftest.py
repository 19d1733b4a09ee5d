"""Two standalone platforms (``dev`` and ``prod``) and apimctl configured for both, once per test run:
a start costs seconds, so every CLI module shares the pair and names its own APIs and applications."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apimctl.main import app
from tests.support.standalone import run_standalone


@dataclass
class Cli:
    """apimctl run in-process with its own config folder; ``env`` also goes to subprocess runs."""

    env: dict[str, str]
    urls: dict[str, str]
    runner: CliRunner

    def __call__(self, *args: str | Path, input: str | None = None) -> Result:
        result = self.runner.invoke(app, [str(a) for a in args], env=self.env, input=input)
        return Result(result.exit_code, result.output)

    def subprocess(self, *args: str | Path) -> Result:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("apimctl")), *map(str, args)],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(done.returncode, done.stdout + done.stderr)


@dataclass
class Result:
    exit_code: int
    output: str


def drift_then_apply(cli: Cli, env: str, state: Path, file: Path, change: tuple[str, str], what: str) -> None:
    """``diff`` of ``env`` against ``state`` finds nothing; a description changed in ``file`` is
    drift (exit 2, ``what`` updated, both lines shown); ``apply`` then succeeds."""
    old, new = change
    clean = cli("diff", "-e", env, "-d", state)
    assert clean.exit_code == 0, clean.output
    assert "No differences" in clean.output

    file.write_text(file.read_text().replace(old, new))
    drift = cli("diff", "-e", env, "-d", state)
    assert drift.exit_code == 2, drift.output
    assert f"update {what}" in drift.output
    assert f"-description: {old}" in drift.output
    assert f"+description: {new}" in drift.output

    applied = cli("apply", "-e", env, "-d", state)
    assert applied.exit_code == 0, applied.output


@pytest.fixture(scope="session")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    with ExitStack() as platforms:
        urls = {
            name: platforms.enter_context(
                run_standalone(tmp_path_factory.mktemp(f"platform-{name}"))
            ).control_url
            for name in ("dev", "prod")
        }
        env = {
            "APIMCTL_CONFIG_DIR": str(tmp_path_factory.mktemp("apimctl-config")),
            "APIMCTL_KEYRING": "0",
            "COLUMNS": "250",
            "NO_COLOR": "1",
        }
        tool = Cli(env, urls, CliRunner())
        for name, url in urls.items():
            assert tool("add", "env", name, "--apim", url).exit_code == 0
            logged_in = tool("login", name, "-u", "admin", "--password-stdin", input="admin\n")
            assert logged_in.exit_code == 0, logged_in.output
        yield tool
