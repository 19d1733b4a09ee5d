"""A gateway's snapshot costs the same few statements however many subscriptions there are."""

from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app, subscribe
from tests.support.statements import counted


async def test_the_gateway_snapshot_runs_as_many_statements_for_four_subscriptions_as_for_one(
    portal: Portal,
) -> None:
    h = portal.headers()
    service = portal.tokens.headers("apim-internal-services", "apim:internal")
    apis = [(await portal.publish_api(name=f"Scale{n}"))["id"] for n in range(4)]
    app = (await create_app(portal, h))["applicationId"]
    engine = portal.app.state.database.engine
    # A first call looks up what later ones find cached (the caller's tenant): not counted.
    await portal.client.get(f"{BASE}/internal/gateway-snapshot", headers=service)
    costs = []
    for n, api_id in enumerate(apis):
        assert (await subscribe(portal, h, app, api_id, tier="Unlimited")).status_code == 201
        if n in (0, 3):
            with counted(engine) as statements:
                r = await portal.client.get(f"{BASE}/internal/gateway-snapshot", headers=service)
            # The outbox relay polls on the same engine meanwhile.
            costs.append(len([s for s in statements if "outbox" not in s]))
    assert r.status_code == 200
    assert sorted(s["apiId"] for s in r.json()["subscriptions"]) == sorted(apis)
    assert costs[0] == costs[1], costs
