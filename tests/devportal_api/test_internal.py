"""Internal endpoints for the admin service and starting gateways, and the portal's settings."""

from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app, generate_keys, subscribe


def _service(portal: Portal) -> dict[str, str]:
    return portal.tokens.headers("apim-internal-services", "apim:internal")


async def test_a_gateway_snapshot_holds_applications_subscriptions_and_key_mappings(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    h = portal.headers()
    app = await create_app(portal, h)
    await subscribe(portal, h, app["applicationId"], api["id"])
    key = (await generate_keys(portal, h, app["applicationId"])).json()
    await create_app(portal, portal.headers("bob@acme.com", tenant="acme.com"), name="Acme")
    r = await portal.client.get(f"{BASE}/internal/gateway-snapshot", headers=_service(portal))
    snapshot = r.json()
    assert sorted(a["tenant"] for a in snapshot["applications"]) == ["acme.com", "carbon.super"]
    assert snapshot["subscriptions"][0]["apiId"] == api["id"]
    assert snapshot["keyMappings"][0]["consumerKey"] == key["consumerKey"]
    assert (await portal.client.get(f"{BASE}/internal/gateway-snapshot", headers=h)).status_code == 403


async def test_the_admin_lists_every_application_and_changes_an_owner(portal: Portal) -> None:
    app = await create_app(portal, portal.headers("alice"))
    r = await portal.client.get(
        f"{BASE}/internal/applications", params={"user": "alice"}, headers=_service(portal)
    )
    assert [a["applicationId"] for a in r.json()["list"]] == [app["applicationId"]]
    r = await portal.client.post(
        f"{BASE}/internal/applications/{app['applicationId']}/change-owner",
        params={"owner": "bob", "tenant": "carbon.super"},
        headers=_service(portal),
    )
    assert r.json()["owner"] == "bob"
    assert (
        await portal.client.get(f"{BASE}/applications/{app['applicationId']}", headers=portal.headers("bob"))
    ).status_code == 200
    assert (
        await portal.client.get(
            f"{BASE}/applications/{app['applicationId']}", headers=portal.headers("alice")
        )
    ).status_code == 404


async def test_settings_need_the_store_settings_scope(portal: Portal) -> None:
    assert (
        await portal.client.get(f"{BASE}/settings", headers=portal.headers(scopes="apim:subscribe"))
    ).status_code == 403
    r = await portal.client.get(f"{BASE}/settings", headers=portal.headers(scopes="apim:store_settings"))
    assert r.json()["apiGatewayEndpoint"] == "https://localhost:8243"
    assert "client_credentials" in r.json()["grantTypes"]


async def test_recommendations_suggest_apis_like_the_ones_subscribed(portal: Portal) -> None:
    pizza = await portal.publish_api(name="Pizza", tags=["food"])
    await portal.publish_api(name="Burger", tags=["food"])
    await portal.publish_api(name="Bank", tags=["finance"])
    h = portal.headers()
    app = await create_app(portal, h)
    await subscribe(portal, h, app["applicationId"], pizza["id"])
    r = await portal.client.get(f"{BASE}/recommendations", headers=h)
    assert [a["name"] for a in r.json()["list"]] == ["Burger"]
