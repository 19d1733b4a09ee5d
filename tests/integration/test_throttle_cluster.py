"""Throttle-sync replicas with pools on the local Redis Cluster of 3 masters (scripts/infra): each
counter's lease script runs on one shard, the limit is exact, and a store whose masters all lost
their data mid-window is rebuilt from what the replicas hold."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio.cluster import RedisCluster

from apim_throttle_sync.app import redis_cluster_client
from apim_throttle_sync.counters import RedisCounterBackend
from tests.conftest import infra_value
from tests.throttle_sync.load import Limit, left_short_on_redis, pooled_replicas, run_gateways

pytestmark = [pytest.mark.infra, pytest.mark.timeout(60)]

LIMIT = Limit("sub:t:app:cluster-api", 200)


@pytest.fixture
async def cluster() -> AsyncIterator[RedisCluster]:
    client = redis_cluster_client(infra_value("APIM_TEST_REDIS_CLUSTER_URL"), 0.5)
    await client.initialize()
    yield client
    await client.aclose()


async def test_a_counter_and_its_epoch_share_a_slot_and_the_counters_spread_over_the_masters(
    cluster: RedisCluster,
) -> None:
    backend = RedisCounterBackend(cluster, prefix="apim:test:")
    nodes = set()
    for i in range(64):
        counter = backend.counter_key(f"sub:t:app-{i}:api", 1)
        epoch = next(k for k in backend.epoch_keys if k.split("}")[0] == counter.split("}")[0])
        assert cluster.keyslot(counter) == cluster.keyslot(epoch)
        node = cluster.get_node_from_key(counter)
        assert node is not None
        nodes.add(node.name)

    assert len(nodes) == 3


async def test_pooled_replicas_on_a_cluster_admit_exactly_the_limit_and_rebuild_a_lost_window(
    cluster: RedisCluster,
) -> None:
    services = await pooled_replicas(cluster, 2, f"apim:test:{uuid.uuid4().hex[:8]}:")

    async def lose_everything(start: float) -> None:
        """1.4 s in (the second window): every master loses its data, as one restarted without
        persistence would; the replicas' sweeps find their tags' epochs gone and report."""
        await asyncio.sleep(max(start + 1.4 - time.time(), 0))
        for node in cluster.get_primaries():
            await cluster.flushall(target_nodes=node)

    result = await run_gateways(
        services[0], [LIMIT], gateways=4, overload=3.0, windows=3, replicas=services, during=lose_everything
    )

    admitted = result.per_window[LIMIT.key]
    assert not result.tally.fallback
    # The first window also has the gateways starting: never above the limit; the window the data
    # was lost in and the next, exactly the limit.
    assert admitted[0] <= LIMIT.limit
    assert admitted[1:] == [LIMIT.limit] * 2


async def test_the_notices_moving_units_between_replicas_work_on_a_cluster(cluster: RedisCluster) -> None:
    counters = RedisCounterBackend(cluster, prefix=f"apim:test:{uuid.uuid4().hex[:8]}:")
    await counters.mark_in_use()

    granted = await left_short_on_redis(counters)

    # Each script's notice keys sit in its counter's slot; the replicas read every tag's notices
    # across the masters in one call.
    if granted is None:
        pytest.skip("no run of the three asks within one window on this machine")
    assert granted == [5, 50, 10]
    assert len(await counters.notices()) == len(counters.epoch_keys)
