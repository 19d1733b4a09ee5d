"""WSO2's marketplace assistant resources. Like the catalog, anonymous callers are answered from
the PUBLIC APIs; a signed-in caller also from the APIs their tenant and roles let them see."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from apim_common.db import SessionDep
from apim_common.errors import NotFound, TooManyRequests
from apim_common.security import OptionalPrincipal
from apim_devportal.assistant import service
from apim_devportal.assistant.limits import CallerRateLimiter
from apim_devportal.assistant.schemas import (
    MarketplaceAssistantApiCountResponse,
    MarketplaceAssistantRequest,
    MarketplaceAssistantResponse,
)
from apim_devportal.catalog import service as catalog
from apim_devportal.common import RequestedTenant
from apim_devportal.settings import Settings

router = APIRouter(prefix="/marketplace-assistant", tags=["Marketplace Assistant"])
logger = logging.getLogger(__name__)


def _assistant(request: Request) -> service.Assistant:
    settings: Settings = request.app.state.settings
    if not settings.assistant_enabled:
        raise NotFound("The marketplace assistant is not enabled on this portal")
    assistant: service.Assistant = request.app.state.assistant
    return assistant


AssistantDep = Annotated[service.Assistant, Depends(_assistant)]


async def _within_rate_limit(request: Request, principal: OptionalPrincipal) -> None:
    limiter: CallerRateLimiter = request.app.state.assistant_limiter
    if principal is not None:
        caller = f"user:{principal.username}"
    else:
        caller = f"address:{request.client.host if request.client is not None else 'unknown'}"
    wait = limiter.acquire(caller)
    if wait > 0:
        logger.info("marketplace assistant rate limit reached by %s", caller)
        raise TooManyRequests(
            f"Too many questions to the marketplace assistant; try again in "
            f"{limiter.retry_after(wait)} seconds",
            headers={"Retry-After": limiter.retry_after(wait)},
        )


WithinRateLimit = Depends(_within_rate_limit)


@router.post("/chat", status_code=201, dependencies=[WithinRateLimit])
async def marketplace_assistant_chat(
    body: MarketplaceAssistantRequest,
    session: SessionDep,
    principal: OptionalPrincipal,
    tenant: RequestedTenant,
    assistant: AssistantDep,
) -> MarketplaceAssistantResponse:
    who = await catalog.viewer(session, principal, tenant)
    return await service.chat(session, assistant, who, body.query, body.history)


@router.get("/api-count")
async def marketplace_assistant_api_count(
    session: SessionDep, principal: OptionalPrincipal, tenant: RequestedTenant, assistant: AssistantDep
) -> MarketplaceAssistantApiCountResponse:
    who = await catalog.viewer(session, principal, tenant)
    _, allowed = await service.portal_apis(session, who)
    return MarketplaceAssistantApiCountResponse(count=len(allowed))
