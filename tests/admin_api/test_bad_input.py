"""Bad input to the Admin API is a 400 in WSO2's error shape naming what is wrong, never a 500."""

import pytest

from tests.admin_api.harness import Admin

HUGE = 23_000_000_000_000_000_000_000


@pytest.mark.parametrize("path", ["/tenants", "/workflows"])
async def test_an_offset_beyond_wso2s_int_range_is_400(admin: Admin, path: str) -> None:
    r = await admin.get(path, params={"offset": HUGE})
    assert r.status_code == 400, r.text
    assert [e["message"] for e in r.json()["error"]] == ["offset"]
