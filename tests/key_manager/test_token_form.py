"""The token endpoint's form and identifiers, read and made without the general-purpose helpers
where the request needs none of their work."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

import pytest

from apim_key_manager.oauth.errors import InvalidRequestError
from apim_key_manager.oauth.forms import client_credentials, parse_form
from apim_key_manager.oauth.service import new_jti


@pytest.mark.parametrize(
    "body", [b"grant_type=client_credentials", b"grant_type=password&username=a&password=", b"a=b=c"]
)
def test_a_form_without_escapes_reads_as_parse_qsl_reads_it(body: bytes) -> None:
    assert parse_form(body) == dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))


@pytest.mark.parametrize("body", [b"grant_type", b"grant_type=client_credentials&&scope=a", b"a=1&"])
def test_a_field_without_a_value_is_refused_as_an_invalid_form(body: bytes) -> None:
    with pytest.raises(InvalidRequestError, match="not a valid form"):
        parse_form(body)


def test_escaped_basic_credentials_are_decoded_and_plain_ones_kept() -> None:
    escaped = client_credentials("Basic Y2xpZW50JTNBMTpzJTI1ZWNyZXQ=", {})  # client%3A1:s%25ecret
    plain = client_credentials("Basic Y2xpZW50OnNlY3JldA==", {})  # client:secret
    assert escaped is not None
    assert (escaped.client_id, escaped.client_secret) == ("client:1", "s%ecret")
    assert plain is not None
    assert (plain.client_id, plain.client_secret) == ("client", "secret")


def test_a_token_id_is_a_random_uuid4_in_hex() -> None:
    ids = {new_jti() for _ in range(200)}
    assert len(ids) == 200
    for jti in ids:
        assert uuid.UUID(hex=jti).version == 4
        assert uuid.UUID(hex=jti).hex == jti
