"""The key manager's per-key cache: one database read for every request that misses at once."""

from __future__ import annotations

import asyncio

from apim_key_manager.cache import LoadingCache


async def test_concurrent_misses_of_one_key_share_one_load() -> None:
    cache: LoadingCache[str, int] = LoadingCache(ttl=60)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return 7

    values = await asyncio.gather(*(cache.get("tenant", load) for _ in range(32)))
    assert values == [7] * 32
    assert loads == 1


async def test_a_load_begun_before_a_forget_is_not_kept() -> None:
    cache: LoadingCache[str, int] = LoadingCache(ttl=60)
    started = asyncio.Event()
    answers = iter([1, 2])

    async def load() -> int:
        started.set()
        await asyncio.sleep(0.01)
        return next(answers)

    stale = asyncio.create_task(cache.get("client", load))
    await started.wait()
    cache.forget("client")
    assert await stale == 1
    assert await cache.get("client", load) == 2


async def test_an_unknown_key_is_read_again_next_time() -> None:
    cache: LoadingCache[str, int] = LoadingCache(ttl=60)
    loads = 0

    async def load() -> int | None:
        nonlocal loads
        loads += 1
        return None

    assert await cache.get("nobody", load) is None
    assert await cache.get("nobody", load) is None
    assert loads == 2
