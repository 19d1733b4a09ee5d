"""When a gateway asks for units and how many: the pure part of the client's leasing.

``ThrottleClient`` applies these to its buckets on its sync task; ``benchmarks/bench_sim_leases.py``
applies the same functions to simulated gateways, so the simulation measures the rule as shipped.
"""

from __future__ import annotations

import math

# A gateway's reserve is at most 1 / (RESERVE_SPREAD x gateways) of what remains of the limit.
RESERVE_SPREAD = 2


def next_rate(rate: float, demand: int, elapsed: float) -> float:
    """The key's recent rate: the demand observed since the last sample, averaged with the previous
    estimate (the first sample stands alone)."""
    observed = demand / elapsed
    return observed if rate == 0 else (rate + observed) / 2


def lease_want(rate: float, horizon: float, units: int, waiting: int, cap: int | None = None) -> int:
    """Units to ask for: what the recent rate needs over ``horizon`` beyond those held, at least one
    per request waiting, and at least one; with ``cap`` (``reserve_cap``), no more ahead of demand
    than that, and none ahead once it is zero."""
    ahead = math.ceil(rate * horizon)
    if cap is not None and ahead > cap:
        return max(cap - units, waiting, 1 if cap > 0 else 0)
    return max(ahead - units, waiting, 1)


def reserve_cap(remaining: int, gateways: int, time_left: float = math.inf, idle_return: float = 0.0) -> int:
    """Units a gateway may hold ahead of its demand: its part of what remains of the limit, less
    half of it (``RESERVE_SPREAD``), so every gateway's reserve together stays well within it; and
    none in the window's last ``2 x idle_return``, where a reserve left unused would not be given
    back (idle) in time for another gateway to use it."""
    if time_left < 2 * idle_return:
        return 0
    return max(remaining, 0) // (RESERVE_SPREAD * max(gateways, 1))


def low_water(rate: float, prefetch: float, cap: int | None = None) -> int:
    """Ask again once the bucket holds no more than ``prefetch`` seconds' worth at the recent rate.

    Rounded up: any key with recent demand keeps a unit in reserve, so its next request does not
    wait for a lease's round trip (rounding down measured better in the simulation, where the round
    trip is 2 ms, and refused requests in the Redis fault test, where it took longer than
    ``max_wait``; see docs/decisions/0003). The reserve is at most ``reserve_cap`` of what remains
    of the limit: reserves held by every gateway together never
    outgrow the quota left, so when fewer units remain than gateways, the last ones are leased per
    request to whichever gateway has one waiting, not kept idle where demand has stopped.
    """
    reserve = math.ceil(rate * prefetch)
    return reserve if cap is None else min(reserve, cap)


def runs_low(units: int, low: int) -> bool:
    """Whether a bucket holding ``units`` should ask for more (while quota remains)."""
    return units <= low


def wants_more_after_grant(units: int, low: int, waiting: int) -> bool:
    """After a grant, while quota remains: ask again at once if it did not lift the bucket above its
    low-water mark or does not cover the requests waiting."""
    return runs_low(units, low) or waiting > units


def exhausted_retry(previous: float, first: float) -> float:
    """How long a bucket told nothing remains waits before asking again: ``first`` (the replica's
    hint; 0 never), then twice the previous wait, so a spent window costs a few asks, not one per
    request."""
    if first <= 0:
        return 0.0
    return first if previous <= 0 else previous * 2
