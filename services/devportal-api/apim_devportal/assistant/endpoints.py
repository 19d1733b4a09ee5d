"""WSO2's marketplace assistant resources. Like the catalog, anonymous callers are answered from
the PUBLIC APIs; a signed-in caller also from the APIs their tenant and roles let them see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.security import OptionalPrincipal
from apim_devportal.assistant import service
from apim_devportal.assistant.schemas import (
    MarketplaceAssistantApiCountResponse,
    MarketplaceAssistantRequest,
    MarketplaceAssistantResponse,
)
from apim_devportal.catalog import service as catalog
from apim_devportal.common import RequestedTenant
from apim_devportal.settings import Settings

router = APIRouter(prefix="/marketplace-assistant", tags=["Marketplace Assistant"])


def _assistant(request: Request) -> service.Assistant:
    settings: Settings = request.app.state.settings
    if not settings.assistant_enabled:
        raise NotFound("The marketplace assistant is not enabled on this portal")
    assistant: service.Assistant = request.app.state.assistant
    return assistant


AssistantDep = Annotated[service.Assistant, Depends(_assistant)]


@router.post("/chat", status_code=201)
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
