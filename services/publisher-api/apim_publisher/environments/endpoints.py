"""``GET /settings``: what the Publisher portal needs to know, chiefly the gateway environments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from apim_common.db import SessionDep
from apim_publisher import scopes
from apim_publisher.environments import service
from apim_publisher.environments.repository import EnvironmentRepository

router = APIRouter(tags=["Settings"])


@router.get("/settings")
async def get_settings(session: SessionDep, principal: scopes.SettingsRead) -> dict[str, Any]:
    environments = await EnvironmentRepository(session).visible_to(principal.tenant)
    return {
        "environment": [service.public(e) for e in environments],
        "gatewayTypes": ["wso2/synapse"],
        "scopes": sorted(v for k, v in vars(scopes).items() if k.isupper()),
        "docVisibilityEnabled": False,
        "crossTenantSubscriptionEnabled": False,
        "defaultAdvancePolicy": "Unlimited",
        "defaultSubscriptionPolicy": "Unlimited",
        "authorizationHeader": "Authorization",
    }
