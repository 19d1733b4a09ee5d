"""Revoked tokens stop working within a second of the event, cached or not."""

from __future__ import annotations

import time

from apim_common.events.topics import Topic
from tests.gateway.conftest import Harness


async def test_a_revoked_jti_is_refused_even_when_the_token_is_cached(harness: Harness) -> None:
    token = harness.tokens.mint("alice", client_id="client-1", jti="jti-1")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=headers)).status_code == 200
    await harness.publish(
        Topic.TOKEN_REVOCATIONS, "token.revoked", {"jti": "jti-1", "expiresAt": int(time.time()) + 3600}
    )
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=headers)
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_tokens_of_a_client_issued_before_the_rule_are_refused_and_later_ones_served(
    harness: Harness,
) -> None:
    old = harness.bearer(iat=int(time.time()) - 60)
    await harness.publish(
        Topic.TOKEN_REVOCATIONS,
        "tokens.revoked-before",
        {"clientId": "client-1", "before": int(time.time()) - 10},
    )
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=old)).json()["code"] == "900901"
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).status_code == 200


async def test_tokens_of_a_user_issued_before_the_rule_are_refused(harness: Harness) -> None:
    old = harness.bearer(iat=int(time.time()) - 60)
    await harness.publish(
        Topic.TOKEN_REVOCATIONS,
        "tokens.revoked-before",
        {"username": "alice", "before": int(time.time()) - 10},
    )
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=old)).json()["code"] == "900901"
