"""Comments in the Publisher are the DevPortal's comments: one store, the same threads, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.standalone import DEVPORTAL, PUBLISHER, Standalone, bearer, shared_platform

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def platform(request: pytest.FixtureRequest) -> dict[str, Any]:
    shared = shared_platform(request)
    token = shared.admin_token
    api_id = shared.platform.published_api(token, shared.backend, "CommentsAPI", "/comments")
    return {"s": shared.platform, "token": token, "api": api_id}


def test_a_comment_made_in_the_devportal_shows_in_the_publisher_and_a_reply_there_shows_back(
    platform: dict[str, Any],
) -> None:
    s: Standalone = platform["s"]
    auth, api = bearer(platform["token"]), platform["api"]
    made = s.control.post(f"{DEVPORTAL}/apis/{api}/comments", json={"content": "Rate limits?"}, headers=auth)
    assert made.status_code == 201, made.text
    comment_id = made.json()["id"]

    listed = s.control.get(f"{PUBLISHER}/apis/{api}/comments", headers=auth)
    assert listed.status_code == 200, listed.text
    assert [c["content"] for c in listed.json()["list"]] == ["Rate limits?"]
    assert listed.json()["list"][0]["entryPoint"] == "devPortal"

    reply = s.control.post(
        f"{PUBLISHER}/apis/{api}/comments",
        params={"replyTo": comment_id},
        json={"content": "10 per minute"},
        headers=auth,
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["entryPoint"] == "publisher"
    assert reply.json()["parentCommentId"] == comment_id

    replies = s.control.get(f"{DEVPORTAL}/apis/{api}/comments/{comment_id}/replies", headers=auth)
    assert [r["content"] for r in replies.json()["list"]] == ["10 per minute"]
    thread = s.control.get(f"{PUBLISHER}/apis/{api}/comments/{comment_id}", headers=auth)
    assert thread.status_code == 200
    assert [r["content"] for r in thread.json()["replies"]["list"]] == ["10 per minute"]
    publisher_replies = s.control.get(f"{PUBLISHER}/apis/{api}/comments/{comment_id}/replies", headers=auth)
    assert publisher_replies.json()["count"] == 1


def test_a_publisher_edit_and_delete_reach_the_devportal(platform: dict[str, Any]) -> None:
    s: Standalone = platform["s"]
    auth, api = bearer(platform["token"]), platform["api"]
    made = s.control.post(f"{PUBLISHER}/apis/{api}/comments", json={"content": "draft"}, headers=auth)
    assert made.status_code == 201, made.text
    comment_id = made.json()["id"]
    edited = s.control.patch(
        f"{PUBLISHER}/apis/{api}/comments/{comment_id}", json={"content": "final"}, headers=auth
    )
    assert edited.status_code == 200, edited.text
    seen = s.control.get(f"{DEVPORTAL}/apis/{api}/comments/{comment_id}", headers=auth)
    assert seen.json()["content"] == "final"

    assert s.control.delete(f"{PUBLISHER}/apis/{api}/comments/{comment_id}", headers=auth).status_code == 200
    assert s.control.get(f"{DEVPORTAL}/apis/{api}/comments/{comment_id}", headers=auth).status_code == 404


def test_publisher_comments_need_a_comment_scope_and_a_known_api(platform: dict[str, Any]) -> None:
    s: Standalone = platform["s"]
    api = platform["api"]
    viewer = s.token(scopes="apim:api_view")
    refused = s.control.post(
        f"{PUBLISHER}/apis/{api}/comments", json={"content": "x"}, headers=bearer(viewer)
    )
    assert refused.status_code == 403
    assert s.control.get(f"{PUBLISHER}/apis/{api}/comments", headers=bearer(viewer)).status_code == 200
    missing = s.control.get(f"{PUBLISHER}/apis/no-such-api/comments", headers=bearer(platform["token"]))
    assert missing.status_code == 404
    bad = s.control.post(
        f"{PUBLISHER}/apis/{api}/comments",
        json={"content": "x", "rating": 5},
        headers=bearer(platform["token"]),
    )
    assert bad.status_code == 400
