"""An exported throttling policy nested too deeply to read is a 400, not a 500."""

from __future__ import annotations

from tests.admin_api.harness import Admin


async def test_a_deeply_nested_policy_file_is_a_400(admin: Admin) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    files = {"file": ("policy.json", nested, "application/json")}
    response = await admin.post("/throttling/policies/import", files=files)
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["description"]
