"""A query sums only the rollup columns its metrics need, so every metric must name them."""

from __future__ import annotations

from apim_analytics.query.schemas import Metric
from apim_analytics.query.service import COLUMNS, METRICS


def test_every_metric_names_the_columns_it_is_computed_from() -> None:
    assert set(COLUMNS) == set(Metric) == set(METRICS)


def test_a_metric_computed_from_its_columns_alone_needs_no_other() -> None:
    # A column missing from COLUMNS would be a KeyError here, and a 500 at query time.
    values = {metric: METRICS[metric](dict.fromkeys(columns, 1)) for metric, columns in COLUMNS.items()}
    assert all(value is not None for value in values.values()), values
