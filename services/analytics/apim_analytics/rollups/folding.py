"""Folding request events into rows of counts, in memory, before they reach the database.

A run of thousands of events becomes one row per distinct minute key; a minute row becomes its
hour's and day's by truncating the bucket and adding the counts (histograms merge exactly).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from apim_analytics.rollups.events import RequestEvent
from apim_analytics.rollups.histogram import BUCKETS, bucket_of

# tenant, bucket start, API, application, resource, status code, error type
Key = tuple[str, int, str, str, str, int, str]
# Offsets of the measures in a row of counts (``models.MEASURE_COLUMNS``' order).
_REQUESTS, _ERRORS, _REQUEST_BYTES, _RESPONSE_BYTES = range(4)
_TOTAL, _BACKEND, _GATEWAY = 4, 4 + BUCKETS, 4 + 2 * BUCKETS
_CACHE_HITS = 4 + 3 * BUCKETS
WIDTH = _CACHE_HITS + 1


class ApiRow(NamedTuple):
    tenant: str
    api_id: str
    api_name: str | None
    api_version: str | None
    api_context: str | None
    api_creator: str | None
    last_seen: int


class ApplicationRow(NamedTuple):
    tenant: str
    application_id: str
    application_name: str | None
    application_owner: str | None
    last_seen: int


@dataclass
class Folded:
    """A run of events as minute rows to add, and the API and application details seen."""

    minutes: dict[Key, list[int]] = field(default_factory=dict)
    apis: dict[tuple[str, str], ApiRow] = field(default_factory=dict)
    applications: dict[tuple[str, str], ApplicationRow] = field(default_factory=dict)


def fold(events: Iterable[RequestEvent]) -> Folded:
    folded = Folded()
    minutes = folded.minutes
    for event in events:
        minute = int(event.at // 60) * 60
        key = (
            event.tenant,
            minute,
            event.api_id,
            event.application_id,
            event.resource,
            event.status_code,
            event.error_type,
        )
        counts = minutes.get(key)
        if counts is None:
            counts = minutes[key] = [0] * WIDTH
        counts[_REQUESTS] += 1
        if event.is_error:
            counts[_ERRORS] += 1
        counts[_REQUEST_BYTES] += event.request_bytes
        counts[_RESPONSE_BYTES] += event.response_bytes
        if event.total_ms is not None:
            counts[_TOTAL + bucket_of(event.total_ms)] += 1
        if event.backend_ms is not None:
            counts[_BACKEND + bucket_of(event.backend_ms)] += 1
        if event.gateway_ms is not None:
            counts[_GATEWAY + bucket_of(event.gateway_ms)] += 1
        if event.cache_hit:
            counts[_CACHE_HITS] += 1
        if event.api_id:
            folded.apis[(event.tenant, event.api_id)] = ApiRow(
                event.tenant, event.api_id, event.api_name, event.api_version, event.api_context,
                event.api_creator, minute,
            )  # fmt: skip
        if event.application_id:
            folded.applications[(event.tenant, event.application_id)] = ApplicationRow(
                event.tenant, event.application_id, event.application_name, event.application_owner, minute
            )
    return folded


def coarsen(minutes: Mapping[Key, list[int]], seconds: int) -> dict[Key, list[int]]:
    """The rows of buckets ``seconds`` long that the minute rows add up to."""
    coarser: dict[Key, list[int]] = {}
    for (tenant, minute, api, application, resource, status, error), counts in minutes.items():
        key = (tenant, minute // seconds * seconds, api, application, resource, status, error)
        merged = coarser.get(key)
        if merged is None:
            coarser[key] = list(counts)
        else:
            for index, count in enumerate(counts):
                if count:
                    merged[index] += count
    return coarser
