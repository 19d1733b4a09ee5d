"""Marketplace search: WSO2's ``key:value`` filters plus text relevance (BM25) over what an API does.

The index is per tenant, built in memory from the catalog read model, beside the tenant's listed
rows that lists and filters decide on. Both are kept under the tenant's catalog version (raised by
every change to its APIs, see ``CatalogVersion``) and built again when the version read for a
request differs: another replica may have consumed the event.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

import snowballstemmer  # type: ignore[import-untyped]
from rank_bm25 import BM25Okapi  # type: ignore[import-untyped]

from apim_devportal.catalog.models import CatalogApi


class Entry(Protocol):
    """What filtering needs of a catalog API: a whole row or its listed columns."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def context(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def lifecycle_status(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def categories(self) -> list[str]: ...
    @property
    def updated_at(self) -> datetime: ...


_WORD = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "get",
        "gets",
        "has",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "with",
        "api",
        "apis",
    ]
)
_stemmer = snowballstemmer.stemmer("english")

# How much each field counts: a word in the name says more than one in an operation summary.
_NAME_WEIGHT = 3
_TAG_WEIGHT = 2


def tokenize(text: str) -> list[str]:
    words: list[str] = []
    for raw in _WORD.findall(text):
        parts = _CAMEL.findall(raw) or [raw]
        if len(parts) > 1:
            words.append(raw.lower())
        words.extend(p.lower() for p in parts)
    kept = [w for w in words if w not in _STOPWORDS]
    stems: list[str] = _stemmer.stemWords(kept)
    return stems


def _operation_texts(data: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for operation in data.get("operations") or []:
        if isinstance(operation, dict):
            for key in ("summary", "description", "target"):
                value = operation.get(key)
                if isinstance(value, str):
                    texts.append(value)
    definition = data.get("apiDefinition")
    if isinstance(definition, str):
        try:
            document = json.loads(definition)
        except ValueError:
            document = None
        if isinstance(document, dict):
            for path_item in (document.get("paths") or {}).values():
                if isinstance(path_item, dict):
                    for operation in path_item.values():
                        if isinstance(operation, dict):
                            texts.extend(
                                str(operation[k]) for k in ("summary", "description") if operation.get(k)
                            )
    return texts


def document_tokens(api: CatalogApi) -> list[str]:
    data = api.data or {}
    tokens = tokenize(api.name) * _NAME_WEIGHT
    for tag in api.tags or []:
        tokens += tokenize(tag) * _TAG_WEIGHT
    for category in data.get("categories") or []:
        tokens += tokenize(str(category))
    tokens += tokenize(api.description or "")
    for text in _operation_texts(data):
        tokens += tokenize(text)
    return tokens


@dataclass
class _TenantIndex:
    version: int
    ids: list[str]
    documents: list[set[str]]
    bm25: Any


_Listed = TypeVar("_Listed", bound=Entry)


@dataclass
class SearchIndex:
    _indexes: dict[str, _TenantIndex] = field(default_factory=dict)
    # tenant -> (catalog version, its listed rows); shared by requests, which only read them.
    _listed: dict[str, tuple[int, Sequence[Any]]] = field(default_factory=dict)
    # tenant -> API id -> (its updated_at, its words): kept across builds of the tenant's index.
    _tokens: dict[str, dict[str, tuple[datetime, list[str]]]] = field(default_factory=dict)
    builds: int = 0
    tokenized: int = 0
    loads: int = 0

    def invalidate(self, tenant: str) -> None:
        self._indexes.pop(tenant, None)
        self._listed.pop(tenant, None)

    async def listed(
        self, tenant: str, version: int, load: Callable[[], Awaitable[Sequence[_Listed]]]
    ) -> Sequence[_Listed]:
        """The tenant's listed rows at catalog ``version``: kept from an earlier request at the same
        version, else read by ``load`` (the version is read before them, so rows newer than it
        are kept under the older version and read again on the next request)."""
        kept = self._listed.get(tenant)
        if kept is not None and kept[0] == version:
            rows: Sequence[_Listed] = kept[1]
            return rows
        loaded = await load()
        self._listed[tenant] = (version, loaded)
        self.loads += 1
        return loaded

    async def _index(
        self,
        tenant: str,
        version: int,
        apis: Sequence[Entry],
        load: Callable[[list[str]], Awaitable[Sequence[CatalogApi]]],
    ) -> _TenantIndex:
        index = self._indexes.get(tenant)
        if index is None or index.version != version:
            # Only the APIs changed since their words were taken are read whole and tokenized again.
            known = self._tokens.get(tenant, {})
            stale = [
                api.id for api in apis if (kept := known.get(api.id)) is None or kept[0] != api.updated_at
            ]
            fresh = {row.id: (row.updated_at, document_tokens(row)) for row in await load(stale)}
            self.tokenized += len(fresh)
            words = {
                api.id: fresh.get(api.id) or known[api.id]
                for api in apis
                if api.id in fresh or api.id in known
            }
            self._tokens[tenant] = words
            ids = list(words)
            corpus = [words[ident][1] for ident in ids]
            index = _TenantIndex(
                version=version,
                ids=ids,
                documents=[set(tokens) for tokens in corpus],
                bm25=BM25Okapi(corpus) if any(corpus) else None,
            )
            self._indexes[tenant] = index
            self.builds += 1
        return index

    async def rank(
        self,
        tenant: str,
        version: int,
        apis: Sequence[Entry],
        text: str,
        load: Callable[[list[str]], Awaitable[Sequence[CatalogApi]]],
    ) -> list[tuple[str, float]]:
        """Ids of ``apis`` (the tenant's listed rows at catalog ``version``) that share a word with
        ``text``, most relevant first; ``load`` gives the whole rows of ids when the index has to
        be (re)built."""
        terms = tokenize(text)
        if not terms or not apis:
            return []
        index = await self._index(tenant, version, apis, load)
        if index.bm25 is None:
            return []
        scores = index.bm25.get_scores(terms)
        wanted = set(terms)
        found = [
            (ident, float(scores[i]), len(wanted & index.documents[i]))
            for i, ident in enumerate(index.ids)
            if wanted & index.documents[i]
        ]
        # Matching more of the query's words first; BM25 orders within (its idf can go below zero
        # on tiny catalogs, where it alone would misorder).
        found.sort(key=lambda item: (-item[2], -item[1]))
        return [(ident, score) for ident, score, _ in found]


@dataclass
class Query:
    text: list[str] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)


def parse_query(query: str | None) -> Query:
    """``name:Pizza tag:food "order food"`` -> filters and free text, as WSO2's search box."""
    parsed = Query()
    if not query:
        return parsed
    try:
        parts = shlex.split(query)
    except ValueError:
        parts = query.split()
    for part in parts:
        key, sep, value = part.partition(":")
        if sep and key and value and not key.startswith("http"):
            parsed.filters.append((key.lower(), value))
        elif sep and key and not value:
            continue
        else:
            parsed.text.append(part)
    return parsed


def _additional_properties(data: dict[str, Any]) -> dict[str, str]:
    props = data.get("additionalProperties")
    if isinstance(props, dict):
        return {str(k).lower(): str(v) for k, v in props.items()}
    found: dict[str, str] = {}
    for item in props or []:
        if isinstance(item, dict) and "name" in item:
            found[str(item["name"]).lower()] = str(item.get("value", ""))
    return found


# Filter keys that look into an API's ``data`` (the others need only its listed columns).
_BY_COLUMN = frozenset(
    {
        "name",
        "tag",
        "tags",
        "description",
        "provider",
        "version",
        "context",
        "status",
        "lifecycle",
        "api-category",
        "category",
        "categories",
        "content",
    }
)


def needs_data(key: str) -> bool:
    return key not in _BY_COLUMN


def matches(api: Entry, key: str, value: str, data: dict[str, Any] | None = None) -> bool:
    """Whether ``api`` passes the filter ``key:value``; ``data`` is the API's data, needed only
    for the keys :func:`needs_data` names."""
    wanted = value.lower().strip("*")
    data = data or {}
    if key == "name":
        return wanted in api.name.lower()
    if key == "tag" or key == "tags":
        return any(wanted == tag.lower() for tag in api.tags or [])
    if key == "description":
        return wanted in (api.description or "").lower()
    if key == "provider":
        return wanted == api.provider.lower()
    if key == "version":
        return wanted == api.version.lower()
    if key == "context":
        return wanted in api.context.lower()
    if key in ("status", "lifecycle"):
        return wanted == api.lifecycle_status.lower()
    if key in ("api-category", "category", "categories"):
        return any(wanted == str(c).lower() for c in api.categories or [])
    if key == "type":
        return wanted == str(data.get("type", "")).lower() or wanted == api.kind.lower()
    if key == "content":
        return wanted in " ".join([api.name, api.description or "", *(api.tags or [])]).lower()
    props = _additional_properties(data)
    return key in props and wanted in props[key].lower()
