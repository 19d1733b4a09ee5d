"""Each key's leases at one throttle-sync replica (``ReplicaRouter``, ``APIM_LEASE_KEYS_BY_REPLICA``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from apim_gateway.throttling import ReplicaRouter, ThrottleClient
from apim_throttle_sync.counters import LeaseRequest
from apim_throttle_sync.leases.pool import PoolConfig, ReplicaPools
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership import MemoryMembership
from apim_throttle_sync.settings import Settings
from tests.throttle_sync.load import InProcessTransport, started_gateways, store_at_a_window_start

WINDOW = 60


class Recording:
    """A replica that grants each key what it is asked and records the keys it was sent."""

    def __init__(self, refuses: bool = False) -> None:
        self.keys: list[str] = []
        self.refuses = refuses

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        if self.refuses:
            raise httpx.ConnectError("connection refused")
        self.keys += [item["key"] for item in batch["items"]]
        grants = [
            {
                "key": i["key"],
                "window": 1,
                "granted": i["want"],
                "used": 0,
                "limit": i["limit"],
                "remaining": i["limit"],
                "windowEndsInMs": 1000,
            }
            for i in batch["items"]
        ]
        return {"activeGateways": 2, "pooled": True, "grants": grants}

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        return {"gatewayId": gateway_id, "activeGateways": 2, "ttlSeconds": 5.0}


def batch(keys: list[str]) -> dict[str, Any]:
    items = [{"key": k, "limit": 100, "windowSeconds": WINDOW, "want": n + 1} for n, k in enumerate(keys)]
    return {"gatewayId": "g", "items": items}


KEYS = [f"sub:carbon.super:app-{n}:api-{n}" for n in range(40)]


async def test_every_gateway_sends_a_key_to_the_same_replica_whatever_order_it_lists_them_in() -> None:
    a, b = Recording(), Recording()
    await ReplicaRouter([a, b], ["http://ts-a", "http://ts-b"]).lease(batch(KEYS))
    c, d = Recording(), Recording()
    await ReplicaRouter([d, c], ["http://ts-b", "http://ts-a"]).lease(batch(KEYS))

    assert sorted(a.keys) == sorted(c.keys)
    assert sorted(b.keys) == sorted(d.keys)
    assert a.keys  # the keys are spread over both replicas
    assert b.keys


async def test_a_batch_split_over_replicas_answers_each_key_in_the_order_it_was_asked() -> None:
    answer = await ReplicaRouter([Recording(), Recording()], ["r0", "r1"]).lease(batch(KEYS))

    assert [g["key"] for g in answer["grants"]] == KEYS
    assert [g["granted"] for g in answer["grants"]] == list(range(1, len(KEYS) + 1))


async def test_the_keys_of_a_replica_refusing_the_connection_go_to_the_next_replica_of_their_order() -> None:
    gone, up = Recording(refuses=True), Recording()
    router = ReplicaRouter([gone, up], ["r0", "r1"])

    answer = await router.lease(batch(KEYS))

    assert sorted(up.keys) == sorted(KEYS)
    assert [g["key"] for g in answer["grants"]] == KEYS


async def test_a_replica_owning_its_keys_is_granted_the_whole_limit_by_the_store_at_once() -> None:
    granted = {}
    for keys_by_replica in (False, True):
        pools = ReplicaPools(
            store_at_a_window_start(), "r0", config=PoolConfig(keys_by_replica=keys_by_replica)
        )
        (grant,) = await pools.lease(
            [LeaseRequest("k", 100, WINDOW, 100)], gateways=1, replicas=2, gateway_spread=1
        )
        granted[keys_by_replica] = grant.granted

    # Two replicas: each one's fair part is half the limit, unless each key has one replica.
    assert granted == {False: 50, True: 100}


@pytest.mark.parametrize("variable", ["lease_keys_by_replica", "lease_rebalance"])
def test_a_pool_option_without_pools_is_refused_at_start(variable: str) -> None:
    with pytest.raises(ValidationError, match=f"APIM_{variable.upper()} needs APIM_LEASE_POOLS"):
        Settings.model_validate({"mode": "development", variable: 1})


@pytest.fixture
async def keyed_tier() -> AsyncIterator[tuple[list[LeaseService], list[ThrottleClient]]]:
    """Two replicas owning their keys, four gateways routing each key to its owner."""
    store = store_at_a_window_start()
    replicas = MemoryMembership(ttl_seconds=5.0)
    config = PoolConfig(keys_by_replica=True)
    services = [
        LeaseService(
            store,
            MemoryMembership(ttl_seconds=5.0),
            pools=ReplicaPools(store, f"r{i}", config=config),
            replicas=replicas,
        )
        for i in range(2)
    ]
    for s in services:
        await s.active_gateways()
    routers = [ReplicaRouter([InProcessTransport(s) for s in services], ["r0", "r1"]) for _ in range(4)]
    async with started_gateways(routers, "keyed-gw") as clients:
        yield services, clients


async def test_gateways_routing_keys_by_replica_admit_exactly_each_limit_with_each_key_at_one_replica(
    keyed_tier: tuple[list[LeaseService], list[ThrottleClient]],
) -> None:
    services, clients = keyed_tier
    keys = [f"sub:k{n}" for n in range(6)]
    admitted = dict.fromkeys(keys, 0)
    for _ in range(60):
        for client in clients:
            for key in keys:
                admitted[key] += (await client.acquire(key, 50, WINDOW)).admitted

    assert admitted == dict.fromkeys(keys, 50)
    holders = {
        key: [
            s for s in services if s.pools is not None and any(p.key == key for p in s.pools._pools.values())
        ]
        for key in keys
    }
    assert all(len(h) == 1 for h in holders.values()), holders
    assert len({id(h[0]) for h in holders.values()}) == 2  # both replicas own some of the keys
