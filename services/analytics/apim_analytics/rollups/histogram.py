"""Latency histograms in fixed buckets, and percentiles read from them.

A value lands in the first bucket whose upper bound it does not exceed (Prometheus' ``le``), so
histograms of any two rollups merge exactly by adding their counts. A percentile is the value of
rank ``ceil(q x n)`` (nearest rank), interpolated linearly inside the bucket that holds that rank:
it always falls in the bucket of the true value, and is off by at most that bucket's width.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence

# Upper bounds in milliseconds; the last bucket is open ([30 s, infinity)).
BOUNDS_MS: tuple[float, ...] = (
    1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000, 30000, math.inf,
)  # fmt: skip
BUCKETS = len(BOUNDS_MS)


def bucket_of(value_ms: float) -> int:
    """The index of the bucket holding ``value_ms``."""
    return bisect_left(BOUNDS_MS, value_ms)


def bucket_range(index: int) -> tuple[float, float]:
    """The (exclusive lower, inclusive upper) bounds of bucket ``index``."""
    return (BOUNDS_MS[index - 1] if index else 0.0), BOUNDS_MS[index]


def percentile(counts: Sequence[int], q: float) -> float | None:
    """The ``q`` quantile (0 < q <= 1) of the values counted in ``counts``; None when there are none."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = max(1, math.ceil(q * total))
    below = 0
    for index, count in enumerate(counts):
        if count and below + count >= rank:
            lower, upper = bucket_range(index)
            if math.isinf(upper):
                return lower
            return lower + (upper - lower) * (rank - below) / count
        below += count
    raise AssertionError("unreachable: the rank is at most the total")
