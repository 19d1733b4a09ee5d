"""When a gateway asks for units and how many: the pure part of the client's leasing.

``ThrottleClient`` applies these to its buckets on its sync task; ``benchmarks/bench_sim_leases.py``
applies the same functions to simulated gateways, so the simulation measures the rule as shipped.
"""

from __future__ import annotations

import math


def next_rate(rate: float, demand: int, elapsed: float) -> float:
    """The key's recent rate: the demand observed since the last sample, averaged with the previous
    estimate (the first sample stands alone)."""
    observed = demand / elapsed
    return observed if rate == 0 else (rate + observed) / 2


def lease_want(rate: float, horizon: float, units: int, waiting: int) -> int:
    """Units to ask for: what the recent rate needs over ``horizon`` beyond those held, at least one
    per request waiting, and at least one."""
    return max(math.ceil(rate * horizon) - units, waiting, 1)


def low_water(rate: float, prefetch: float) -> int:
    """Ask again once the bucket holds no more than ``prefetch`` seconds' worth at the recent rate.

    Rounded up: any key with recent demand keeps a unit in reserve, so its next request does not
    wait for a lease's round trip (rounding down measured better in the simulation, where the round
    trip is 2 ms, and refused requests in the Redis fault test, where it took longer than
    ``max_wait``; see docs/decisions/0003).
    """
    return math.ceil(rate * prefetch)


def runs_low(units: int, low: int) -> bool:
    """Whether a bucket holding ``units`` should ask for more (while quota remains)."""
    return units <= low


def wants_more_after_grant(units: int, low: int, waiting: int) -> bool:
    """After a grant, while quota remains: ask again at once if it did not lift the bucket above its
    low-water mark or does not cover the requests waiting."""
    return runs_low(units, low) or waiting > units
