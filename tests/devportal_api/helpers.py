"""Steps several tests take: an application, a subscription, keys."""

from typing import Any

from tests.devportal_api.conftest import BASE, Portal


async def create_app(
    portal: Portal, headers: dict[str, str], name: str = "PizzaApp", **fields: Any
) -> dict[str, Any]:
    body = {"name": name, "throttlingPolicy": "Unlimited", **fields}
    r = await portal.client.post(f"{BASE}/applications", json=body, headers=headers)
    assert r.status_code in (201, 202), r.text
    result: dict[str, Any] = r.json()
    return result


async def subscribe(
    portal: Portal, headers: dict[str, str], app_id: str, api_id: str, tier: str = "Gold"
) -> Any:
    return await portal.client.post(
        f"{BASE}/subscriptions",
        json={"applicationId": app_id, "apiId": api_id, "throttlingPolicy": tier},
        headers=headers,
    )


async def generate_keys(
    portal: Portal,
    headers: dict[str, str],
    app_id: str,
    key_manager: str = "Resident Key Manager",
    key_type: str = "PRODUCTION",
) -> Any:
    return await portal.client.post(
        f"{BASE}/applications/{app_id}/generate-keys",
        json={
            "keyType": key_type,
            "keyManager": key_manager,
            "grantTypesToBeSupported": ["client_credentials"],
        },
        headers=headers,
    )


async def enable_workflows(portal: Portal, *types: str, tenant: str = "carbon.super") -> None:
    config = {"Workflows": {t: {"enabled": True} for t in types}}
    await portal.publish("tenants", "tenant-config.updated", tenant, {"config": config}, tenant=tenant)
