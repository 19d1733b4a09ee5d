"""Fixtures every test may use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.tokens import TokenFactory

INFRA_ENV = Path(__file__).resolve().parent.parent / ".infra" / "env"


def _load_infra_env() -> None:
    """Expose the servers started by ``scripts/infra up`` to the tests (``APIM_TEST_*``)."""
    if not INFRA_ENV.exists():
        return
    for line in INFRA_ENV.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.startswith("APIM_TEST_"):
            os.environ.setdefault(key, value)


_load_infra_env()


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"


def infra_value(name: str) -> str:
    """A server of ``scripts/infra``; `make test` starts them, so a missing one is a failure, not a skip."""
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: start the servers with `scripts/infra up` (make test does)")
    return value
