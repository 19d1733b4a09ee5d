"""signingAlgorithm of a key manager: carried to the key manager and gateways by the key-managers
event, refused with 400 naming it when it cannot apply."""

from typing import Any

from tests.admin_api.harness import Admin

PARTNER: dict[str, Any] = {
    "name": "Partner",
    "type": "custom",
    "issuer": "https://partner.example",
    "certificates": {"type": "JWKS", "value": "https://partner.example/keys"},
}


async def test_the_residents_signing_algorithm_reaches_its_event(admin: Admin) -> None:
    resident = next(
        k for k in (await admin.get("/key-managers")).json()["list"] if k["name"] == "Resident Key Manager"
    )
    body = (await admin.get(f"/key-managers/{resident['id']}")).json()
    r = await admin.put(f"/key-managers/{resident['id']}", json={**body, "signingAlgorithm": "ES256"})
    assert r.status_code == 200, r.text
    assert r.json()["signingAlgorithm"] == "ES256"
    event = (await admin.events_of("key-managers"))[-1]
    assert (event.type, event.data["type"], event.data["signingAlgorithm"]) == (
        "key-manager.updated",
        "default",
        "ES256",
    )


async def test_an_algorithm_that_cannot_apply_is_400_naming_signing_algorithm(admin: Admin) -> None:
    not_validated = {**PARTNER, "enableSelfValidationJWT": False, "signingAlgorithm": "ES256"}
    unknown = {**PARTNER, "signingAlgorithm": "HS256"}
    for body in (not_validated, unknown):
        r = await admin.post("/key-managers", json=body)
        assert r.status_code == 400, r.text
        assert "signingAlgorithm" in r.json()["description"]
