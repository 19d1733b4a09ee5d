from typing import Annotated

from fastapi import APIRouter, Depends

from apim_common.db import SessionDep
from apim_common.security import Principal, require_scopes
from apim_devportal.catalog import service as catalog
from apim_devportal.common import RequestedTenant
from apim_devportal.deps import SearchIndexDep, SettingsDep
from apim_devportal.key_managers.service import DEFAULT_GRANT_TYPES
from apim_devportal.portal.schemas import (
    ApplicationAttribute,
    ApplicationAttributeList,
    PortalSettings,
    Recommendations,
    RecommendedAPI,
)

router = APIRouter(tags=["Settings", "Recommendations"])

# How many APIs the recommendations resource suggests.
RECOMMENDATIONS = 5


@router.get("/settings")
async def get_settings(
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require_scopes("apim:store_settings"))],
    tenant: RequestedTenant,
) -> PortalSettings:
    return PortalSettings(
        grantTypes=DEFAULT_GRANT_TYPES,
        scopes=[
            "apim:subscribe",
            "apim:app_manage",
            "apim:sub_manage",
            "apim:api_key",
            "apim:store_settings",
        ],
        apiGatewayEndpoint=settings.gateway_url,
        marketplaceAssistantEnabled=settings.assistant_enabled,
        apiChatEnabled=settings.api_chat_enabled,
        # Both run on this machine: no AI service token is needed.
        aiAuthTokenProvided=settings.assistant_enabled or settings.api_chat_enabled,
    )


@router.get("/settings/application-attributes")
async def get_application_attributes(
    settings: SettingsDep, principal: Annotated[Principal, Depends(require_scopes("apim:subscribe"))]
) -> ApplicationAttributeList:
    items = [
        ApplicationAttribute.model_validate(a) for a in settings.application_attributes if a.get("attribute")
    ]
    visible = [a for a in items if a.hidden.lower() != "true"]
    return ApplicationAttributeList(count=len(visible), list=visible)


@router.get("/recommendations")
async def get_recommendations(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scopes("apim:subscribe"))],
    index: SearchIndexDep,
) -> Recommendations:
    """APIs sharing tags with those the caller subscribes to, best rated first; never one they have."""
    who = await catalog.viewer(session, principal, None)
    found = [api for api, _ in await catalog.visible_apis(session, who, None, index)]
    liked_tags = {tag for api in found if api.id in who.subscribed for tag in api.tags or []}
    candidates = [api for api in found if api.id not in who.subscribed and set(api.tags or []) & liked_tags]
    ratings = await catalog.ratings(session, candidates)
    candidates.sort(
        key=lambda api: (-len(set(api.tags or []) & liked_tags), -ratings.get(api.id, 0.0), api.name)
    )
    items = [
        RecommendedAPI(id=api.id, name=api.name, avgRating=f"{ratings.get(api.id, 0.0):.1f}")
        for api in candidates[:RECOMMENDATIONS]
    ]
    return Recommendations(count=len(items), list=items)
