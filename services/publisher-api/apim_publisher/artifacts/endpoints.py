"""Internal endpoints the gateways call with a service token (scope ``apim:internal``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from apim_common.db import SessionDep
from apim_common.security import InternalPrincipal
from apim_publisher.artifacts import service

router = APIRouter(prefix="/internal", tags=["Internal"])


@router.get("/runtime-artifacts/{revisionId}")
async def runtime_artifact(
    revisionId: str, session: SessionDep, _: InternalPrincipal, environment: str | None = None
) -> dict[str, Any]:
    return await service.for_revision(session, revisionId, environment)


@router.get("/snapshot")
async def deployed_snapshot(
    session: SessionDep, _: InternalPrincipal, environment: str = Query(min_length=1)
) -> dict[str, Any]:
    return await service.snapshot(session, environment)
