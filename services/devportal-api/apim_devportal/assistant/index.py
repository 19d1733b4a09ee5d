"""The assistant's index: every API and operation of a tenant's portal, BM25 terms and dense vectors.

It is built from the catalog read model, which the publisher's ``apis`` events keep current: a
publish or update changes a row (and its update time), a block, deprecation, retirement or
deletion takes it off the portal. A cheap stamp of ids and update times tells when a tenant's
rows changed, whichever replica applied the event. Vectors are computed once per passage text,
so an API is embedded again only when what it says changed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi  # type: ignore[import-untyped]

from apim_devportal.assistant.embedder import Embedder, Vector
from apim_devportal.catalog.models import CatalogApi
from apim_devportal.catalog.search import document_tokens

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def words(name: str) -> str:
    """``PizzaShackAPI`` -> ``Pizza Shack API``: names read as words by the embedding model."""
    return _CAMEL.sub(" ", name)


@dataclass(frozen=True)
class Operation:
    verb: str
    target: str
    summary: str

    @property
    def passage(self) -> str:
        return f"{self.summary or self.target} ({self.verb} {self.target})"


@dataclass(frozen=True)
class Entry:
    """One API as the assistant knows it."""

    id: str
    name: str
    version: str
    description: str
    tags: tuple[str, ...]
    operations: tuple[Operation, ...]

    @property
    def passage(self) -> str:
        parts = [f"{words(self.name)}: {self.description}"]
        if self.tags:
            parts.append("Tags: " + ", ".join(self.tags) + ".")
        summaries = [op.summary for op in self.operations if op.summary]
        if summaries:
            parts.append("Operations: " + "; ".join(summaries) + ".")
        return " ".join(parts)


def _operations(data: dict[str, Any]) -> tuple[Operation, ...]:
    found = []
    for op in data.get("operations") or []:
        if isinstance(op, dict) and op.get("target") and op.get("verb"):
            summary = str(op.get("summary") or op.get("description") or "")
            found.append(Operation(str(op["verb"]).upper(), str(op["target"]), summary))
    return tuple(found)


def entry(api: CatalogApi) -> Entry:
    data = api.data or {}
    return Entry(
        id=api.id,
        name=api.name,
        version=api.version,
        description=api.description or "",
        tags=tuple(api.tags or []),
        operations=_operations(data),
    )


@dataclass
class TenantIndex:
    """What one tenant's portal holds, ready to rank: rows in a fixed order."""

    stamp: tuple[tuple[str, str], ...]
    entries: list[Entry]
    # The BM25 terms of each entry, to tell which share a word with a question.
    documents: list[set[str]]
    bm25: Any
    # One unit vector per entry (same rows); None without a model. Operations count through the
    # entry's passage: vectors of their own measured no better on the quality set and cost 3.5x
    # the embedding time.
    vectors: Vector | None = None


class AssistantIndex:
    """Per-tenant indexes, rebuilt when the catalog rows they came from changed."""

    def __init__(self, embedder: Embedder | None) -> None:
        self.embedder = embedder
        self._tenants: dict[str, TenantIndex] = {}
        self._cache: dict[str, dict[str, Vector]] = {}
        self._lock = threading.Lock()
        self.builds = 0
        self.embedded = 0

    def invalidate(self, tenant: str) -> None:
        self._tenants.pop(tenant, None)

    def count(self, tenant: str) -> int:
        index = self._tenants.get(tenant)
        return len(index.entries) if index is not None else 0

    def tenant_index(self, tenant: str, apis: Sequence[CatalogApi]) -> TenantIndex:
        """The index of ``apis`` (the tenant's APIs on the portal), built or reused."""
        stamp = tuple(sorted((api.id, api.updated_at.isoformat()) for api in apis))
        with self._lock:
            index = self._tenants.get(tenant)
            if index is None or index.stamp != stamp:
                index = self._build(tenant, stamp, apis)
                self._tenants[tenant] = index
            return index

    def _build(
        self, tenant: str, stamp: tuple[tuple[str, str], ...], apis: Sequence[CatalogApi]
    ) -> TenantIndex:
        entries = [entry(api) for api in apis]
        corpus = [document_tokens(api) for api in apis]
        index = TenantIndex(
            stamp=stamp,
            entries=entries,
            documents=[set(tokens) for tokens in corpus],
            bm25=BM25Okapi(corpus) if any(corpus) else None,
        )
        if self.embedder is not None and entries:
            index.vectors = self._embed(tenant, [e.passage for e in entries])
        self.builds += 1
        return index

    def _embed(self, tenant: str, texts: list[str]) -> Vector:
        """Vectors of ``texts``, computing only those not seen before; forgets texts no longer indexed."""
        assert self.embedder is not None
        cache = self._cache.setdefault(tenant, {})
        missing = sorted({t for t in texts if t not in cache})
        if missing:
            for text, vector in zip(missing, self.embedder.passages(missing), strict=True):
                cache[text] = vector
            self.embedded += len(missing)
        wanted = set(texts)
        for text in [t for t in cache if t not in wanted]:
            del cache[text]
        return np.stack([cache[t] for t in texts])
