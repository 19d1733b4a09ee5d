"""The API list and search served from each replica's memory under the tenant's list version:
a write through one replica is listed by another at once, and who sees what does not change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from apim_publisher.apis.models import LISTED_FIELDS
from apim_publisher.apis.repository import ListedApi
from tests.publisher_api.conftest import BASE, PIZZA, Publisher, running_publisher
from tests.support.postgres import fresh_database
from tests.support.tokens import TokenFactory

TEAM_A: dict[str, Any] = {"user": "alice", "roles": ["teamA"]}
TEAM_B: dict[str, Any] = {"user": "bob", "roles": ["teamB"]}
RESTRICTED = {"accessControl": "RESTRICTED", "accessControlRoles": ["teamA"]}


@contextlib.asynccontextmanager
async def two_replicas(tokens: TokenFactory, url: str) -> AsyncIterator[tuple[Publisher, Publisher]]:
    async with running_publisher(tokens, url) as first, running_publisher(tokens, url) as second:
        yield first, second


@pytest.fixture
async def replicas(tokens: TokenFactory, sqlite_url: str) -> AsyncIterator[tuple[Publisher, Publisher]]:
    async with two_replicas(tokens, sqlite_url) as pair:
        yield pair


async def _names(publisher: Publisher, query: str | None = None, **auth: Any) -> list[str]:
    params = {} if query is None else {"query": query}
    r = await publisher.client.get(f"{BASE}/apis", params=params, headers=publisher.auth(**auth))
    assert r.status_code == 200, r.text
    assert r.json()["pagination"]["total"] == len(r.json()["list"])
    return sorted(a["name"] for a in r.json()["list"])


async def test_an_api_created_through_one_replica_is_listed_by_the_other_at_once(
    replicas: tuple[Publisher, Publisher],
) -> None:
    first, second = replicas
    await first.create_api({"name": "Before", "context": "/before"})
    assert await _names(second) == ["Before"]
    await first.create_api({"name": "After", "context": "/after"})
    assert await _names(second) == ["After", "Before"]


async def test_an_api_deleted_through_one_replica_leaves_the_others_list(
    replicas: tuple[Publisher, Publisher],
) -> None:
    first, second = replicas
    api = await first.create_api()
    await first.create_api({"name": "Kept", "context": "/kept"})
    assert await _names(second) == ["Kept", "Pizza Shack"]
    r = await first.client.delete(f"{BASE}/apis/{api['id']}", headers=first.auth())
    assert r.status_code == 200, r.text
    assert await _names(second) == ["Kept"]


async def test_tags_an_update_gave_through_one_replica_are_searched_by_the_other(
    replicas: tuple[Publisher, Publisher],
) -> None:
    first, second = replicas
    api = await first.create_api({"tags": ["old"]})
    assert await _names(second, "tags:old") == ["Pizza Shack"]
    r = await first.client.put(
        f"{BASE}/apis/{api['id']}", json={**PIZZA, "tags": ["fresh"]}, headers=first.auth()
    )
    assert r.status_code == 200, r.text
    assert await _names(second, "tags:fresh") == ["Pizza Shack"]
    assert await _names(second, "tags:old") == []


async def test_a_lifecycle_change_through_one_replica_is_searched_by_the_other(
    replicas: tuple[Publisher, Publisher],
) -> None:
    first, second = replicas
    api = await first.create_api()
    assert await _names(second, "status:PUBLISHED") == []
    r = await first.lifecycle(api["id"], "Publish")
    assert r.status_code == 200, r.text
    assert await _names(second, "status:PUBLISHED") == ["Pizza Shack"]


async def test_an_api_restricted_through_one_replica_leaves_the_others_list_for_other_roles(
    replicas: tuple[Publisher, Publisher],
) -> None:
    first, second = replicas
    api = await first.create_api(**TEAM_A)
    assert await _names(second, **TEAM_B) == ["Pizza Shack"]
    r = await first.client.put(
        f"{BASE}/apis/{api['id']}", json={**PIZZA, **RESTRICTED}, headers=first.auth(**TEAM_A)
    )
    assert r.status_code == 200, r.text
    assert await _names(second, **TEAM_B) == []
    assert await _names(second, **TEAM_A) == ["Pizza Shack"]


async def test_a_restricted_api_a_member_listed_stays_missing_for_a_caller_without_its_role(
    publisher: Publisher,
) -> None:
    await publisher.create_api(RESTRICTED, **TEAM_A)
    await publisher.create_api({"name": "Open", "context": "/open"}, **TEAM_B)
    assert await _names(publisher, **TEAM_A) == ["Open", "Pizza Shack"]
    assert await _names(publisher, **TEAM_B) == ["Open"]


async def test_a_replica_never_lists_another_tenants_apis_it_keeps(
    replicas: tuple[Publisher, Publisher],
) -> None:
    first, second = replicas
    await first.create_api({"name": "Ours", "context": "/ours"})
    assert await _names(second) == ["Ours"]
    await first.create_api({"name": "Theirs", "context": "/theirs"}, tenant="other.com")
    assert await _names(second, tenant="other.com") == ["Theirs"]
    assert await _names(second) == ["Ours"]


def test_every_column_a_list_decides_on_raises_the_list_version_when_written() -> None:
    assert set(ListedApi.__slots__) - {"id"} <= set(LISTED_FIELDS)


@pytest.mark.infra
async def test_a_write_through_one_replica_is_listed_by_the_other_on_postgresql(
    tokens: TokenFactory,
) -> None:
    with fresh_database("apim_publisher") as url:
        async with two_replicas(tokens, url) as (first, second):
            api = await first.create_api({"tags": ["old"]})
            assert await _names(second) == ["Pizza Shack"]
            await first.create_api({"name": "After", "context": "/after"})
            assert await _names(second) == ["After", "Pizza Shack"]
            r = await first.client.delete(f"{BASE}/apis/{api['id']}", headers=first.auth())
            assert r.status_code == 200, r.text
            assert await _names(second) == ["After"]


@pytest.mark.infra
async def test_concurrent_writes_through_two_replicas_are_all_listed_by_both_on_postgresql(
    tokens: TokenFactory,
) -> None:
    with fresh_database("apim_publisher") as url:
        async with two_replicas(tokens, url) as (first, second):
            await first.create_api({"name": "Seed", "context": "/seed"})
            assert await _names(first) == await _names(second) == ["Seed"]
            names = [f"Api{n}" for n in range(6)]
            await asyncio.gather(
                *(
                    (first if n % 2 else second).create_api({"name": name, "context": f"/{name.lower()}"})
                    for n, name in enumerate(names)
                )
            )
            assert await _names(first) == await _names(second) == sorted([*names, "Seed"])
