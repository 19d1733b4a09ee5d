"""The catalog list at scale: the caller's own subscriptions only, in as many statements however
many, and the tenant's listed rows read again only when its catalog version moved."""

import pytest

from apim_common.events import new_event
from apim_devportal.catalog import service as catalog
from apim_devportal.catalog.search import SearchIndex
from tests.devportal_api.conftest import BASE, Portal, api_dto, running_portal
from tests.devportal_api.helpers import create_app, subscribe
from tests.support.postgres import fresh_database
from tests.support.statements import counted
from tests.support.tokens import TokenFactory


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


async def test_the_listed_rows_are_read_again_only_after_a_change_to_the_catalog(portal: Portal) -> None:
    index: SearchIndex = portal.app.state.search_index
    await portal.publish_api(name="First")
    h = portal.headers()
    assert await _names(portal, h) == {"First"}
    loads = index.loads
    assert await _names(portal, h) == {"First"}
    r = await portal.client.get(f"{BASE}/apis", params={"query": "first"}, headers=h)
    assert [a["name"] for a in r.json()["list"]] == ["First"]
    assert index.loads == loads
    await portal.publish_api(name="Second")
    assert await _names(portal, h) == {"First", "Second"}
    assert index.loads == loads + 1


@pytest.mark.infra
async def test_a_change_another_replica_consumed_is_listed_and_searched_on_postgresql(
    tokens: TokenFactory,
) -> None:
    with fresh_database("apim_devportal") as url:
        async with running_portal(tokens, url) as portal:
            await portal.publish_api(name="First")
            h = portal.headers()
            r = await portal.client.get(f"{BASE}/apis", params={"query": "second"}, headers=h)
            assert r.json()["list"] == []
            # Another replica applies the event: this one's memory is not told.
            api = api_dto(name="Second")
            async with portal.app.state.database.session() as session, session.begin():
                event = new_event("/test", "api.created", api["id"], api)
                await catalog.on_api_event(session, event, SearchIndex())
            assert await _names(portal, h) == {"First", "Second"}
            r = await portal.client.get(f"{BASE}/apis", params={"query": "second"}, headers=h)
            assert [a["name"] for a in r.json()["list"]] == ["Second"]


async def test_a_redelivered_catalog_event_changes_nothing(portal: Portal) -> None:
    api = await portal.publish_api(name="First")
    renamed = {**api, "name": "Renamed"}
    event = await portal.publish("apis", "api.updated", api["id"], renamed)
    await portal.publish("apis", "api.updated", api["id"], {**api, "name": "Again"}, event_id=event.id)
    assert await _names(portal, portal.headers()) == {"Renamed"}


async def _searched(portal: Portal, text: str) -> list[str]:
    r = await portal.client.get(f"{BASE}/apis", params={"query": text}, headers=portal.headers())
    assert r.status_code == 200, r.text
    return [a["name"] for a in r.json()["list"]]


async def test_a_search_after_a_change_tokenizes_only_the_changed_api_again(portal: Portal) -> None:
    index: SearchIndex = portal.app.state.search_index
    apis = [await portal.publish_api(name=f"Menu{n}", description="pizza") for n in range(3)]
    assert sorted(await _searched(portal, "pizza")) == ["Menu0", "Menu1", "Menu2"]
    assert index.tokenized == 3
    await portal.publish("apis", "api.updated", apis[1]["id"], {**apis[1], "description": "pizza and pasta"})
    assert await _searched(portal, "pasta") == ["Menu1"]
    assert index.tokenized == 4
