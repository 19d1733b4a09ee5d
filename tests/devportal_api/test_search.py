"""Marketplace search finds an API by what it does, ranked by text relevance, and honours filters."""

from tests.devportal_api.conftest import BASE, Portal


async def _search(portal: Portal, query: str) -> list[str]:
    r = await portal.client.get(f"{BASE}/search", params={"query": query})
    assert r.status_code == 200, r.text
    return [item["name"] for item in r.json()["list"]]


async def _catalog(portal: Portal) -> None:
    await portal.publish_api(
        name="MeteoService",
        description="Weather forecasts and current conditions for any city",
        tags=["climate"],
        operations=[{"target": "/forecast", "verb": "GET", "summary": "Get the forecast for the next days"}],
    )
    await portal.publish_api(
        name="PizzaShackAPI",
        description="Order pizza and track deliveries",
        tags=["food"],
        operations=[{"target": "/menu", "verb": "GET", "summary": "List the menu"}],
        additionalProperties=[{"name": "region", "value": "EU", "display": True}],
    )
    await portal.publish_api(
        name="CityGuide",
        description="Places to visit in a city",
        tags=["travel"],
        operations=[{"target": "/sights", "verb": "GET", "summary": "Sights, with a short weather note"}],
    )


async def test_an_api_is_found_by_what_it_does_not_only_its_name(portal: Portal) -> None:
    await _catalog(portal)
    found = await _search(portal, "weather forecasting")
    assert found[0] == "MeteoService"
    assert "CityGuide" in found
    assert "PizzaShackAPI" not in found


async def test_operation_summaries_count_in_the_ranking(portal: Portal) -> None:
    await _catalog(portal)
    assert await _search(portal, "track my delivery") == ["PizzaShackAPI"]


async def test_filters_narrow_by_name_tag_description_and_property(portal: Portal) -> None:
    await _catalog(portal)
    assert await _search(portal, "name:pizza") == ["PizzaShackAPI"]
    assert await _search(portal, "tag:travel") == ["CityGuide"]
    assert await _search(portal, "description:conditions") == ["MeteoService"]
    assert await _search(portal, "region:EU") == ["PizzaShackAPI"]
    assert await _search(portal, "tag:travel weather") == ["CityGuide"]


async def test_the_index_follows_an_updated_description(portal: Portal) -> None:
    await _catalog(portal)
    assert await _search(portal, "payments") == []
    r = await portal.client.get(f"{BASE}/apis", params={"query": "name:CityGuide"})
    api_id = r.json()["list"][0]["id"]
    detail = (await portal.client.get(f"{BASE}/apis/{api_id}")).json()
    await portal.publish(
        "apis",
        "api.updated",
        api_id,
        {
            **detail,
            "description": "Pay for city tours; payments by card",
            "visibility": "PUBLIC",
            "policies": ["Gold"],
        },
    )
    assert await _search(portal, "payments") == ["CityGuide"]


async def test_api_listing_queries_rank_words_the_same_way(portal: Portal) -> None:
    await _catalog(portal)
    r = await portal.client.get(f"{BASE}/apis", params={"query": "pizza delivery"})
    assert [a["name"] for a in r.json()["list"]] == ["PizzaShackAPI"]
