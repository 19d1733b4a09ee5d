"""Rollup tables: one per granularity, the same columns in each; and the dimension tables.

A rollup row counts the requests of one bucket (its start, in epoch seconds) for one tenant, API,
application, resource, status code and error type. Latency histograms are one column per bucket
(``total_N``, ``backend_N``, ``gateway_N``; bounds in ``histogram.BOUNDS_MS``), so an upsert
merges them with plain additions on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Column, SmallInteger, String, Table

from apim_analytics.base import metadata
from apim_analytics.rollups.histogram import BUCKETS

TENANT_LENGTH = 100
ID_LENGTH = 64
NAME_LENGTH = 200
RESOURCE_LENGTH = 300
ERROR_TYPE_LENGTH = 64


class Granularity(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


SECONDS: dict[Granularity, int] = {Granularity.MINUTE: 60, Granularity.HOUR: 3600, Granularity.DAY: 86400}

# The key of a rollup row, in primary-key order.
KEY_COLUMNS = ("tenant", "bucket", "api_id", "application_id", "resource", "status_code", "error_type")
HISTOGRAMS = ("total", "backend", "gateway")
HISTOGRAM_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(f"{name}_{index}" for index in range(BUCKETS)) for name in HISTOGRAMS
}
SUM_COLUMNS = ("request_count", "error_count", "request_bytes", "response_bytes")
# Requests the gateway answered from its response cache (WSO2's ``responseCacheHit``).
CACHE_HIT_COLUMN = "cache_hit_count"
# The additive measures, in the order ``service.Measures`` holds them.
MEASURE_COLUMNS = (
    SUM_COLUMNS
    + tuple(column for name in HISTOGRAMS for column in HISTOGRAM_COLUMNS[name])
    + (CACHE_HIT_COLUMN,)
)


def _rollup_table(granularity: Granularity) -> Table:
    return Table(
        f"rollup_{granularity.value}",
        metadata,
        # Tenant first: every query and every retention delete reads one tenant's time range.
        Column("tenant", String(TENANT_LENGTH), primary_key=True),
        Column("bucket", BigInteger, primary_key=True),
        Column("api_id", String(ID_LENGTH), primary_key=True),
        Column("application_id", String(ID_LENGTH), primary_key=True),
        Column("resource", String(RESOURCE_LENGTH), primary_key=True),
        Column("status_code", SmallInteger, primary_key=True),
        Column("error_type", String(ERROR_TYPE_LENGTH), primary_key=True),
        *(Column(name, BigInteger, nullable=False, server_default="0") for name in MEASURE_COLUMNS),
    )


ROLLUPS: dict[Granularity, Table] = {granularity: _rollup_table(granularity) for granularity in Granularity}

# What the events say about an API and an application, latest value first; the owner and creator
# decide who may read their rows.
apis = Table(
    "analytics_apis",
    metadata,
    Column("tenant", String(TENANT_LENGTH), primary_key=True),
    Column("api_id", String(ID_LENGTH), primary_key=True),
    Column("api_name", String(NAME_LENGTH), nullable=True),
    Column("api_version", String(NAME_LENGTH), nullable=True),
    Column("api_context", String(RESOURCE_LENGTH), nullable=True),
    Column("api_creator", String(NAME_LENGTH), nullable=True),
    Column("last_seen", BigInteger, nullable=False),
)
applications = Table(
    "analytics_applications",
    metadata,
    Column("tenant", String(TENANT_LENGTH), primary_key=True),
    Column("application_id", String(ID_LENGTH), primary_key=True),
    Column("application_name", String(NAME_LENGTH), nullable=True),
    Column("application_owner", String(NAME_LENGTH), nullable=True),
    Column("last_seen", BigInteger, nullable=False),
)

# Per tenant, the first minute not yet added to its hour and day: minutes before it are merged
# (and a late event for one of them goes to its hour and day at once); later minutes wait for
# the periodic merge, so a busy minute key costs one upsert per run instead of three.
progress = Table(
    "rollup_progress",
    metadata,
    Column("tenant", String(TENANT_LENGTH), primary_key=True),
    Column("merged_until", BigInteger, nullable=False),
)
