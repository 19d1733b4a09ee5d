"""A key manager's connector credentials (secret-named ``additionalProperties``) are stored as given,
shown and announced masked as ``""``, kept when the mask comes back on an update, and replaced by a
new value."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from apim_admin.key_managers.models import KeyManager
from tests.admin_api.harness import Admin

SECRET = "partner-client-s3cret"
PARTNER: dict[str, Any] = {
    "name": "Partner",
    "type": "custom",
    "issuer": "https://partner.example",
    "certificates": {"type": "JWKS", "value": "https://partner.example/keys"},
    "additionalProperties": {"client_id": "partner-admin", "client_secret": SECRET, "audience": "apis"},
}


async def _stored(admin: Admin, key_manager_id: str) -> dict[str, Any]:
    async with admin.app.state.database.session() as session:
        row = await session.scalar(select(KeyManager).where(KeyManager.id == key_manager_id))
    assert row is not None
    properties: dict[str, Any] = row.body["additionalProperties"]
    return properties


async def test_a_connector_secret_is_masked_in_views_and_events_kept_by_the_mask_replaced_by_a_new_one(
    admin: Admin,
) -> None:
    created = await admin.post("/key-managers", json=PARTNER)
    assert created.status_code == 201, created.text
    key_manager = created.json()
    masked = {"client_id": "partner-admin", "client_secret": "", "audience": "apis"}
    assert key_manager["additionalProperties"] == masked
    shown = (await admin.get(f"/key-managers/{key_manager['id']}")).json()
    assert shown["additionalProperties"] == masked
    updated = await admin.put(
        f"/key-managers/{key_manager['id']}", json={**shown, "description": "edited with the mask"}
    )
    assert updated.status_code == 200, updated.text
    assert (await _stored(admin, key_manager["id"]))["client_secret"] == SECRET
    events = await admin.events_of("key-managers")
    assert [e.data["additionalProperties"] for e in events if e.subject == key_manager["id"]] == [
        masked,
        masked,
    ]
    assert all(SECRET not in e.model_dump_json() for e in events)

    rotated = {**shown, "additionalProperties": {**masked, "client_secret": "rotated"}}
    assert (await admin.put(f"/key-managers/{key_manager['id']}", json=rotated)).status_code == 200
    assert (await _stored(admin, key_manager["id"]))["client_secret"] == "rotated"
