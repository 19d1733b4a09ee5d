"""Every key-manager operation (OAuth2, DCR, SCIM, internal), fuzzed: bad input gets a 4xx, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis

from apim_key_manager.app import create_app
from tests.fuzz.conftest import MARKS, Fuzz, Target, serving
from tests.key_manager.conftest import key_manager_settings
from tests.support.tokens import TokenFactory

pytestmark = MARKS


# The document only: the app is not started, so its database is never opened.
fuzz = Fuzz(lambda: create_app(key_manager_settings(Path("/nonexistent"))))


def seed(target: Target) -> None:
    """A user, and the OAuth client and group the start created."""
    user = target.created(
        "POST",
        "/scim2/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "fuzzer",
            "password": "Fuzz-pass-123",
            "roles": [{"value": "Internal/subscriber"}],
        },
    )
    fuzz.known.update(user_id=[user["id"]], username=["fuzzer", "admin"], domain=["carbon.super"])


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory) -> Iterator[Target]:
    app = create_app(key_manager_settings(tmp_path_factory.mktemp("key_manager")))
    with serving("key-manager", app, tokens) as target:
        seed(target)
        yield target


@fuzz.schema.parametrize()
def test_key_manager_operation_never_answers_a_server_error(case: schemathesis.Case, target: Target) -> None:
    target.check(case)
