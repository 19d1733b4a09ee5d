"""Bad input to the Admin API is a 400 in WSO2's error shape naming what is wrong, never a 500."""

import pytest

from tests.admin_api.harness import Admin

HUGE = 23_000_000_000_000_000_000_000


@pytest.mark.parametrize("path", ["/tenants", "/workflows"])
async def test_an_offset_beyond_wso2s_int_range_is_400(admin: Admin, path: str) -> None:
    r = await admin.get(path, params={"offset": HUGE})
    assert r.status_code == 400, r.text
    assert [e["message"] for e in r.json()["error"]] == ["offset"]


@pytest.mark.parametrize("url", ["http://[::1", "\x7f\u00be\u0090B"])
async def test_discovering_a_key_manager_at_an_unparsable_url_is_400(admin: Admin, url: str) -> None:
    r = await admin.post("/key-managers/discover", data={"url": url})
    assert r.status_code == 400, r.text
    assert r.json()["description"].startswith("url is not a valid URL")


# As a JSON string's content: a NUL, a lone surrogate.
@pytest.mark.parametrize("email", ["ops\\u0000@example.com", "\\ud800@example.com"])
async def test_an_alert_subscription_with_a_malformed_email_is_400_naming_the_field(
    admin: Admin, email: str
) -> None:
    body = '{"alerts": [], "emailList": ["' + email + '"]}'
    r = await admin.put(
        "/alert-subscriptions",
        content=body.encode(),
        headers={**admin.auth(), "content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert [e["message"] for e in r.json()["error"]] == ["emailList.0"]
