"""WSO2's quick start, steps 7 to 10, against the devportal alone."""

from tests.devportal_api.conftest import BASE, Portal


async def test_a_published_api_is_listed_to_anonymous_callers(portal: Portal) -> None:
    api = await portal.publish_api(name="PizzaShackAPI")
    r = await portal.client.get(f"{BASE}/apis", params={"query": "name:PizzaShackAPI"})
    assert r.status_code == 200
    assert [a["id"] for a in r.json()["list"]] == [api["id"]]
    assert r.json()["list"][0]["businessInformation"]["businessOwner"] == "Jane"


async def test_create_subscribe_and_generate_keys_in_wso2_shapes(portal: Portal) -> None:
    api = await portal.publish_api(name="PizzaShackAPI")
    h = portal.headers("admin", roles=["admin", "Internal/everyone"])
    r = await portal.client.post(
        f"{BASE}/applications",
        json={
            "name": "PizzaApp",
            "throttlingPolicy": "Unlimited",
            "description": "Sample",
            "tokenType": "JWT",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] == "APPROVED"
    assert app["owner"] == "admin"
    assert app["tokenType"] == "JWT"
    assert app["keys"] == []
    assert app["groups"] == []
    assert app["subscriptionCount"] == 0
    r = await portal.client.post(
        f"{BASE}/subscriptions",
        json={"applicationId": app["applicationId"], "apiId": api["id"], "throttlingPolicy": "Unlimited"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "UNBLOCKED"
    assert r.json()["apiInfo"]["name"] == "PizzaShackAPI"
    r = await portal.client.post(
        f"{BASE}/applications/{app['applicationId']}/generate-keys",
        json={
            "keyType": "PRODUCTION",
            "keyManager": "Resident Key Manager",
            "grantTypesToBeSupported": ["client_credentials", "password", "refresh_token"],
            "callbackUrl": "",
            "scopes": ["am_application_scope", "default"],
            "validityTime": 3600,
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    key = r.json()
    assert key["consumerKey"] in portal.key_manager.clients
    assert key["consumerSecret"] == portal.key_manager.clients[key["consumerKey"]]["clientSecret"]
    assert key["token"]["accessToken"]
    assert key["token"]["tokenScopes"] == ["am_application_scope", "default"]
    assert key["mode"] == "CREATED"
    assert key["keyState"] == "COMPLETED"
    r = await portal.client.post(
        f"{BASE}/applications/{app['applicationId']}/oauth-keys/{key['keyMappingId']}/generate-token",
        json={"consumerSecret": key["consumerSecret"], "validityPeriod": 3600, "scopes": []},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["accessToken"]
