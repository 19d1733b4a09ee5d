"""WSO2's API chat resource: ``POST /apis/{apiId}/api-chat?apiChatAction=PREPARE|EXECUTE``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.security import Principal, require_scopes
from apim_devportal.apichat import service
from apim_devportal.apichat.schemas import ApiChatAction, ApiChatRequest, ApiChatResponse
from apim_devportal.catalog import service as catalog
from apim_devportal.common import RequestedTenant
from apim_devportal.deps import SettingsDep
from apim_devportal.settings import Settings

router = APIRouter(tags=["API Chat"])


def _api_chat(request: Request) -> service.ApiChat:
    settings: Settings = request.app.state.settings
    if not settings.api_chat_enabled:
        raise NotFound("API chat is not enabled on this portal")
    chat: service.ApiChat = request.app.state.api_chat
    return chat


ApiChatDep = Annotated[service.ApiChat, Depends(_api_chat)]


@router.post("/apis/{apiId}/api-chat", status_code=201)
async def api_chat(
    apiId: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scopes("apim:subscribe"))],
    tenant: RequestedTenant,
    settings: SettingsDep,
    chat: ApiChatDep,
    apiChatAction: ApiChatAction = ApiChatAction.EXECUTE,
    body: ApiChatRequest | None = None,
) -> ApiChatResponse:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    if apiChatAction is ApiChatAction.PREPARE:
        return service.prepare(api, settings.gateway_url)
    return await service.execute(
        chat, api, settings.gateway_url, principal.username, body or ApiChatRequest()
    )
