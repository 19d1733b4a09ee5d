"""POST /me/change-password over HTTP: the current password checked, the password policy applied,
and the user's earlier tokens, refresh tokens too, refused once it has changed."""

from __future__ import annotations

import pytest

from tests.support.standalone import DEVPORTAL, bearer, shared_platform

pytestmark = pytest.mark.timeout(120)


def test_changing_the_password_checks_the_old_one_applies_the_policy_and_ends_refresh_tokens(
    request: pytest.FixtureRequest,
) -> None:
    shared = shared_platform(request)
    s = shared.platform
    s.add_user(shared.admin_token, "pat", "first-pass", ["Internal/subscriber"])
    client = s.client_of("pat", "first-pass")
    granted = s.password_grant(client, "pat", "first-pass", "apim:subscribe")
    assert granted.status_code == 200, granted.text
    token, refresh = granted.json()["access_token"], granted.json()["refresh_token"]
    url = f"{DEVPORTAL}/me/change-password"

    wrong = s.control.post(
        url, json={"currentPassword": "not-it", "newPassword": "second-pass"}, headers=bearer(token)
    )
    assert wrong.status_code == 400
    assert "current password" in wrong.json()["description"]
    weak = s.control.post(
        url, json={"currentPassword": "first-pass", "newPassword": "a b"}, headers=bearer(token)
    )
    assert weak.status_code == 400
    assert "password policy" in weak.json()["description"]
    unknown = s.control.post(
        url,
        json={"currentPassword": "first-pass", "newPassword": "second-pass", "x": 1},
        headers=bearer(token),
    )
    assert unknown.status_code == 400

    changed = s.control.post(
        url, json={"currentPassword": "first-pass", "newPassword": "second-pass"}, headers=bearer(token)
    )
    assert changed.status_code == 200, changed.text

    refreshed = s.control.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(client["clientId"], client["clientSecret"]),
    )
    assert refreshed.status_code in (400, 401), refreshed.text
    assert s.password_grant(client, "pat", "first-pass", "apim:subscribe").status_code in (400, 401)
    assert s.password_grant(client, "pat", "second-pass", "apim:subscribe").status_code == 200


def test_changing_the_password_needs_the_subscribe_scope(request: pytest.FixtureRequest) -> None:
    shared = shared_platform(request)
    viewer = shared.platform.token(scopes="apim:api_view")
    r = shared.platform.control.post(
        f"{DEVPORTAL}/me/change-password",
        json={"currentPassword": "admin", "newPassword": "whatever1"},
        headers=bearer(viewer),
    )
    assert r.status_code == 403
