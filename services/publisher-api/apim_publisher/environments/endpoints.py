"""``GET /settings``: what the Publisher portal needs to know, chiefly the gateway environments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, StringConstraints

from apim_common.db import SessionDep
from apim_common.security import InternalPrincipal
from apim_publisher import scopes
from apim_publisher.environments import service
from apim_publisher.environments.repository import EnvironmentRepository

router = APIRouter(tags=["Settings"])

# An entry point name (``apim.policies`` group): what a policy spec's ``implementation`` names.
ImplementationName = Annotated[str, StringConstraints(pattern=service.IMPLEMENTATION_PATTERN)]


class ImplementationsReport(BaseModel):
    implementations: list[ImplementationName] = Field(max_length=10_000)


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


@router.put("/internal/environments/{environment}/policy-implementations", status_code=200)
async def report_policy_implementations(
    session: SessionDep,
    _: InternalPrincipal,
    body: ImplementationsReport,
    environment: Annotated[str, Path(min_length=1, max_length=100)],
) -> dict[str, Any]:
    """A gateway reports the policy implementations it has (on start and every resync)."""
    await service.report_implementations(session, environment, body.implementations)
    return {"environment": environment, "implementations": sorted(set(body.implementations))}
