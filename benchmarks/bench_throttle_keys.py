"""Many active counter keys on Redis: the memory each takes, and that they expire with their window.

Starts a redis-server of its own (no persistence, on a free port), leases from ``--keys`` counter
keys through throttle-sync's Redis backend (the lease script, pipelined ``--batch`` keys a round
trip), as a replica with pools does (its per-replica count in each hash), and prints Redis's
``used_memory`` per key and a key's TTL; then leases 10,000 keys of a 1 s window and counts how
many are left once it has ended.

    uv run python benchmarks/bench_throttle_keys.py [--keys 1000000] [--window 3600]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apim_throttle_sync.app import redis_client  # noqa: E402
from apim_throttle_sync.counters import LeaseRequest, RedisCounterBackend  # noqa: E402
from apim_throttle_sync.counters.base import EXPIRY_MARGIN_MS  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main(keys: int, window: int, batch: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
        server = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL)  # noqa: S603
        try:
            asyncio.run(run(f"redis://127.0.0.1:{port}/0", keys, window, batch))
        finally:
            server.kill()
            server.wait()


async def lease_many(backend: RedisCounterBackend, keys: int, window: int, batch: int, name: str) -> None:
    for first in range(0, keys, batch):
        requests = [
            LeaseRequest(f"sub:t{i % 97}:{name}-{i}:api-{i % 1013}:Gold", 1000, window, 10, holder="ts-1")
            for i in range(first, min(first + batch, keys))
        ]
        await backend.lease(requests, gateways=2, spread=1.0)


async def run(url: str, keys: int, window: int, batch: int) -> None:
    redis = redis_client(url, 5.0)
    for _ in range(100):
        try:
            await redis.ping()
            break
        except Exception:
            await asyncio.sleep(0.05)
    backend = RedisCounterBackend(redis)
    await backend.mark_in_use()
    before = int((await redis.info("memory"))["used_memory"])
    started = time.perf_counter()
    await lease_many(backend, keys, window, batch, "app")
    took = time.perf_counter() - started
    info = await redis.info("memory")
    used = int(info["used_memory"]) - before
    count = await redis.dbsize() - 1  # the epoch key
    ttl = await redis.pttl(backend.counter_key("sub:t0:app-0:api-0:Gold", window))
    print(f"{count:,} counter keys leased in {took:.1f} s ({keys / took:,.0f} a second)")
    print(f"used_memory grew by {used / 2**20:.1f} MiB: {used / max(count, 1):.0f} bytes per key")
    print(f"a key's TTL: {ttl} ms (the window's end + {EXPIRY_MARGIN_MS} ms, window {window} s)")
    await redis.flushdb()
    await backend.mark_in_use()
    short = min(keys, 10_000)
    await lease_many(backend, short, 1, batch, "short")
    print(f"{short:,} keys of a 1 s window leased; waiting 3.5 s for their window to end...")
    await asyncio.sleep(3.5)
    left = await redis.dbsize() - 1
    for _ in range(30):  # Redis expires keys lazily and in its background cycle
        if left == 0:
            break
        await asyncio.sleep(1)
        left = await redis.dbsize() - 1
    print(f"counter keys left after their window ended: {left:,}")
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--window", type=int, default=3600)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    main(args.keys, args.window, args.batch)
