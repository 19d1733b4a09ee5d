"""The Publisher's API list and search with N APIs in a tenant, on PostgreSQL: every listed row read
per request (before) against the rows kept in memory under the tenant's list version (after).

The publisher's service layer is called in this process, one session per request as an endpoint
has, on a fresh database of the local PostgreSQL (``.infra/env``; SQLite with ``--sqlite``). The
APIs are ORM rows (the model's hook fills their listed columns), a fifth of them restricted to a
role the caller does not hold. Each case runs its before and after requests alternately, so the
machine's load falls on both alike; "after a write" lists right after another session changed one
API's description, so the version moved and the rows are read again. Wall and CPU time per
request, p50 and p99, and the load average are printed.

    uv run --frozen python benchmarks/bench_publisher_list.py --apis 2000 --requests 200
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apim_common.db import Database  # noqa: E402
from apim_common.migrations import upgrade  # noqa: E402
from apim_common.security import Principal  # noqa: E402
from apim_common.tenant_versions import TenantRows  # noqa: E402
from apim_publisher.apis import service  # noqa: E402
from apim_publisher.apis.models import API  # noqa: E402
from apim_publisher.apis.repository import ListedApi  # noqa: E402

ENV_FILE = ROOT / ".infra" / "env"
TENANT = "carbon.super"
TAGS = ["payments", "food", "travel", "weather", "maps", "books", "music", "health", "retail", "sports"]
CALLER = Principal(
    username="alice", tenant=TENANT, scopes=frozenset({"apim:api_view"}), claims={"roles": ["team"]}
)


def api_row(i: int, now: datetime) -> API:
    spec = {
        "description": f"API number {i}: {TAGS[i % len(TAGS)]} operations for the list benchmark.",
        "tags": [TAGS[i % len(TAGS)], TAGS[(i * 7) % len(TAGS)]],
        "categories": ["Finance" if i % 2 else "Data"],
        "policies": ["Unlimited"],
        "operations": [{"target": "/items", "verb": verb} for verb in ("GET", "POST", "DELETE")],
        **({"accessControl": "RESTRICTED", "accessControlRoles": ["other"]} if i % 5 == 0 else {}),
    }
    return API(
        id=str(uuid.uuid4()),
        tenant=TENANT,
        name=f"Api{i:05d}",
        version="1.0.0",
        context=f"/api{i:05d}",
        provider="admin",
        lifecycle_status="PUBLISHED" if i % 2 else "CREATED",
        type="HTTP",
        is_default_version=False,
        spec=spec,
        definition={"openapi": "3.0.1", "paths": {"/items": {"get": {}, "post": {}, "delete": {}}}},
        revision_counter=0,
        row_version=1,
        created_at=now + timedelta(milliseconds=i),
        updated_at=now,
        updated_by="admin",
    )


async def seed(database: Database, count: int) -> list[str]:
    now, ids = datetime.now(UTC), []
    for start in range(0, count, 500):
        async with database.session() as session, session.begin():
            rows = [api_row(i, now) for i in range(start, min(count, start + 500))]
            session.add_all(rows)
            ids += [r.id for r in rows]
    return ids


def line(label: str, wall: list[float], cpu: list[float]) -> str:
    def p(samples: list[float], q: float) -> float:
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    return (
        f"  {label:<34} wall p50 {statistics.median(wall) * 1000:7.1f} p99 {p(wall, 0.99):7.1f} ms"
        f"   cpu p50 {statistics.median(cpu) * 1000:6.1f} p99 {p(cpu, 0.99):6.1f} ms"
    )


async def run(url: str, count: int, requests: int) -> None:
    database = Database(url)
    await upgrade(database.engine, "apim_publisher")
    started = time.perf_counter()
    ids = await seed(database, count)
    print(f"{count} APIs seeded in {time.perf_counter() - started:.1f} s; {requests} requests per case")

    async def listing(kept: TenantRows[ListedApi], query: str | None, offset: int) -> int:
        async with database.session() as session, session.begin():
            page, total = await service.listing(session, CALLER, kept, query, None, None, offset, 25)
            return total + len(page)

    async def touch(n: int) -> None:
        async with database.session() as session, session.begin():
            api = (await session.execute(select(API).where(API.id == ids[n % len(ids)]))).scalar_one()
            api.spec = {**api.spec, "description": f"changed {n}"}

    async def timed(call: Awaitable[int], wall: list[float], cpu: list[float]) -> None:
        w, c = time.perf_counter(), time.process_time()
        await call
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)

    shared = TenantRows[ListedApi]()
    visible = count - (count + 4) // 5
    cases: list[tuple[str, str | None, int]] = [
        ("list, first page", None, 0),
        ("list, last page", None, max(0, visible - 25)),
        ("search name:Api01", "name:Api01", 0),
        ("search tags:food", "tags:food", 0),
    ]
    for label, query, offset in cases:
        samples: dict[str, tuple[list[float], list[float]]] = {"before": ([], []), "after": ([], [])}
        for n in range(requests + 5):
            fresh = TenantRows[ListedApi]()
            for name, kept in (("before", fresh), ("after", shared)):
                wall, cpu = ([], []) if n < 5 else samples[name]  # five warm-ups each
                await timed(listing(kept, query, offset), wall, cpu)
        print(line(f"{label} (before)", *samples["before"]))
        print(line(f"{label} (after)", *samples["after"]))
    wall, cpu = [], []
    for n in range(max(20, requests // 4)):
        await touch(n)
        await timed(listing(shared, None, 0), wall, cpu)
    print(line("list after a write (after)", wall, cpu))
    print(f"rows read {shared.loads} times by the kept list; load average {os.getloadavg()}")
    await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apis", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    if args.sqlite or not ENV_FILE.exists():
        if not args.sqlite:
            print("no .infra/env (make infra-up): on SQLite instead of PostgreSQL")
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite+aiosqlite:///{Path(tmp) / 'publisher.db'}", args.apis, args.requests)
        return
    server = dict(line.split("=", 1) for line in ENV_FILE.read_text().split() if "=" in line)
    url = make_url(server["APIM_TEST_POSTGRES_URL"])
    name = f"bench_publisher_list_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await run(url.set(database=name).render_as_string(hide_password=False), args.apis, args.requests)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
