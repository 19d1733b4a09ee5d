"""Internal: what is refused now, for a service that starts (apim_common.revocations)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from apim_common.revocations import SNAPSHOT_PATH
from apim_common.security import InternalPrincipal
from apim_key_manager.db import SessionDep
from apim_key_manager.revocation.service import snapshot

router = APIRouter(tags=["Internal: revocations"])


@router.get(SNAPSHOT_PATH, summary="Revoked tokens, revocation rules and inactive tenants")
async def revocations(session: SessionDep, _: InternalPrincipal) -> dict[str, Any]:
    return await snapshot(session)
