"""Percentiles from fixed-bucket histograms fall in the bucket of the true value."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from apim_analytics.rollups.histogram import BUCKETS, bucket_of, bucket_range, percentile


def true_percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def histogram(samples: list[float]) -> list[int]:
    counts = [0] * BUCKETS
    for sample in samples:
        counts[bucket_of(sample)] += 1
    return counts


def lognormal(rng: random.Random) -> list[float]:
    return [rng.lognormvariate(math.log(40), 1.2) for _ in range(10_000)]


def bimodal(rng: random.Random) -> list[float]:
    return [rng.gauss(3, 0.5) if rng.random() < 0.8 else rng.expovariate(1 / 900) for _ in range(10_000)]


def heavy_tail(rng: random.Random) -> list[float]:
    return [rng.paretovariate(1.1) * 5 for _ in range(10_000)]


@pytest.mark.parametrize("distribution", [lognormal, bimodal, heavy_tail])
@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_a_percentile_falls_in_the_bucket_of_the_true_value(
    distribution: Callable[[random.Random], list[float]], q: float
) -> None:
    samples = [abs(s) for s in distribution(random.Random(25))]
    estimate = percentile(histogram(samples), q)
    assert estimate is not None
    truth = true_percentile(samples, q)
    lower, upper = bucket_range(bucket_of(truth))
    assert lower <= estimate <= upper, (truth, estimate)


def test_merged_histograms_give_the_percentile_of_all_their_samples() -> None:
    rng = random.Random(7)
    first, second = lognormal(rng)[:3000], bimodal(rng)[:7000]
    merged = [a + b for a, b in zip(histogram(first), histogram(second), strict=True)]
    assert merged == histogram(first + second)
    estimate = percentile(merged, 0.95)
    assert estimate is not None
    assert bucket_of(estimate) == bucket_of(true_percentile(first + second, 0.95))


def test_values_are_bucketed_by_inclusive_upper_bounds() -> None:
    assert [bucket_of(v) for v in (0.0, 1.0, 1.5, 2.0, 30_000.0, 30_001.0)] == [0, 0, 1, 1, 18, 19]


def test_no_values_have_no_percentile() -> None:
    assert percentile([0] * BUCKETS, 0.99) is None
