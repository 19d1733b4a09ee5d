"""The marketplace assistant: the caller's visible APIs, ranked for a question, and an answer.

Visibility is the catalog's own (:func:`apim_devportal.catalog.service.can_see`), applied before
ranking, so an API the caller cannot see is never suggested. Only APIs on the portal in a
PUBLISHED or PROTOTYPED state are indexed: a blocked, deprecated or retired API is not suggested.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from apim_devportal.assistant import composer
from apim_devportal.assistant.embedder import Embedder, load_embedder
from apim_devportal.assistant.index import AssistantIndex
from apim_devportal.assistant.limits import CallerRateLimiter
from apim_devportal.assistant.llm import ChatModel, ModelUnavailable
from apim_devportal.assistant.retrieval import DEFAULT_MODE, Hit, Mode, rank
from apim_devportal.assistant.schemas import (
    ChatMessage,
    MarketplaceAssistantApi,
    MarketplaceAssistantResponse,
)
from apim_devportal.catalog.models import CatalogApi
from apim_devportal.catalog.repository import CatalogRepository
from apim_devportal.catalog.search import tokenize
from apim_devportal.catalog.service import ON_PORTAL, Viewer, can_see
from apim_devportal.settings import Settings

log = logging.getLogger(__name__)

# How many APIs an answer suggests at most.
SUGGESTED = 3
# Words that carry no request: a message made only of them is a greeting.
_SMALL_TALK = frozenset(tokenize("hi hello hey thanks thank you ok okay bye good morning evening please"))
# A follow-up this short ("and in Spanish?") is read together with the previous question.
_FOLLOW_UP_TERMS = 2


@dataclass
class Assistant:
    """What the assistant keeps for the app's life: the index, the embedder and the optional model."""

    index: AssistantIndex
    model: ChatModel | None = None
    mode: Mode = DEFAULT_MODE

    @property
    def embedder(self) -> Embedder | None:
        return self.index.embedder


def build(settings: Settings, embedder: Embedder | None = None) -> Assistant:
    model = None
    if settings.assistant_llm_url:
        model = ChatModel(
            settings.assistant_llm_url,
            settings.assistant_llm_model,
            settings.assistant_llm_api_key,
            timeout=settings.assistant_llm_timeout,
        )
    if embedder is None:
        embedder = load_embedder(settings.assistant_embeddings)
    return Assistant(AssistantIndex(embedder), model)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The assistant of the app, made once; its model client closed at shutdown."""
    settings: Settings = app.state.settings
    assistant = build(settings)
    app.state.assistant = assistant
    app.state.assistant_limiter = CallerRateLimiter(
        settings.assistant_rate_limit, settings.assistant_rate_window_seconds
    )
    try:
        yield
    finally:
        if assistant.model is not None:
            await assistant.model.aclose()


async def portal_apis(session: AsyncSession, who: Viewer) -> tuple[Sequence[CatalogApi], set[str]]:
    """The tenant's APIs the assistant indexes, and the ids of those the caller may be shown."""
    listed = await CatalogRepository(session).listed(who.tenant)
    indexed = [api for api in listed if api.lifecycle_status in ON_PORTAL]
    return indexed, {api.id for api in indexed if can_see(api, who)}


def _retrieval_text(query: str, history: list[ChatMessage]) -> str:
    if len(tokenize(query)) <= _FOLLOW_UP_TERMS:
        earlier = [turn.content for turn in history if turn.role == "user"]
        if earlier:
            return f"{earlier[-1]} {query}"
    return query


async def search(
    assistant: Assistant, tenant: str, apis: Sequence[CatalogApi], allowed: set[str], text: str
) -> list[Hit]:
    """The allowed APIs that answer ``text``, best first (embedding off the event loop)."""
    index = await anyio.to_thread.run_sync(assistant.index.tenant_index, tenant, apis)
    vector = None
    if assistant.embedder is not None and index.vectors is not None:
        vector = await anyio.to_thread.run_sync(assistant.embedder.query, text)
    hits = rank(index, text, vector, allowed.__contains__, assistant.mode)
    if not hits or (hits[0].dense is None and not hits[0].relevant):
        return []  # BM25 alone, and no API shares a word with the question
    # The best match is always offered (e5's similarities do not tell small talk from a question
    # phrased in other words); the next ones only when they share a word or clearly stand out.
    return [hits[0], *(hit for hit in hits[1:SUGGESTED] if hit.relevant)]


async def chat(
    session: AsyncSession, assistant: Assistant, who: Viewer, query: str, history: list[ChatMessage]
) -> MarketplaceAssistantResponse:
    terms = set(tokenize(query))
    if not terms or terms <= _SMALL_TALK:
        return MarketplaceAssistantResponse(response=composer.GREETING)
    apis, allowed = await portal_apis(session, who)
    hits = await search(assistant, who.tenant, apis, allowed, _retrieval_text(query, history))
    answer = composer.compose(query, hits)
    if assistant.model is not None and hits:
        try:
            answer = await assistant.model.complete(composer.prompt(query, history, hits))
        except ModelUnavailable:
            log.warning("the marketplace assistant answers offline: its model endpoint failed")
    return MarketplaceAssistantResponse(
        response=answer,
        apis=[
            MarketplaceAssistantApi(apiId=h.entry.id, apiName=h.entry.name, version=h.entry.version)
            for h in hits
        ],
    )
