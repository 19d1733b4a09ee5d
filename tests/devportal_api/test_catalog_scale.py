"""The catalog list reads the caller's own subscriptions only, in as many statements however many."""

from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app, subscribe
from tests.support.statements import counted


async def _deprecate(portal: Portal, api_id: str) -> None:
    await portal.publish("apis", "api.lifecycle-changed", api_id, {"apiId": api_id, "state": "DEPRECATED"})


async def _names(portal: Portal, headers: dict[str, str]) -> set[str]:
    r = await portal.client.get(f"{BASE}/apis", headers=headers)
    assert r.status_code == 200, r.text
    return {a["name"] for a in r.json()["list"]}


async def test_a_deprecated_api_stays_listed_for_the_group_its_subscription_is_shared_with(
    portal: Portal,
) -> None:
    alice = portal.headers("alice", groups=["team"])
    api = await portal.publish_api(name="Shared")
    other = await portal.publish_api(name="Strangers")
    app = await create_app(portal, alice, groups=["team"])
    assert (await subscribe(portal, alice, app["applicationId"], api["id"])).status_code == 201
    carol = portal.headers("carol", groups=["elsewhere"])
    carols = await create_app(portal, carol, name="CarolApp", groups=["elsewhere"])
    assert (await subscribe(portal, carol, carols["applicationId"], other["id"])).status_code == 201
    await _deprecate(portal, api["id"])
    await _deprecate(portal, other["id"])
    assert await _names(portal, alice) == {"Shared"}
    assert await _names(portal, portal.headers("bob", groups=["team"])) == {"Shared"}
    assert await _names(portal, portal.headers("dave", groups=["nobody"])) == set()
    assert await _names(portal, carol) == {"Strangers"}


async def test_the_catalog_list_runs_as_many_statements_for_four_subscriptions_as_for_one(
    portal: Portal,
) -> None:
    h = portal.headers("alice", groups=["team"])
    apis = [(await portal.publish_api(name=f"Scale{n}"))["id"] for n in range(4)]
    app = (await create_app(portal, h, groups=["team"]))["applicationId"]
    engine = portal.app.state.database.engine
    # A first call looks up what later ones find cached: not counted.
    await portal.client.get(f"{BASE}/apis", headers=h)
    costs = []
    for n, api_id in enumerate(apis):
        assert (await subscribe(portal, h, app, api_id, tier="Unlimited")).status_code == 201
        if n in (0, 3):
            with counted(engine) as statements:
                r = await portal.client.get(f"{BASE}/apis", params={"limit": "2"}, headers=h)
            # The outbox relay polls on the same engine meanwhile.
            costs.append(len([s for s in statements if "outbox" not in s]))
    assert r.status_code == 200
    assert r.json()["pagination"]["total"] == 4
    assert costs[0] == costs[1], costs
