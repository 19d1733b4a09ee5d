"""POST /me/change-password: the key manager owns users and tokens, so the change is made there; it
checks the current password, applies the password policy and revokes the user's tokens."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from apim_common.internal_calls import call
from apim_common.security import Principal, require_scopes
from apim_common.settings import ServiceSettings

router = APIRouter(tags=["Users"])


class CurrentAndNewPasswords(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currentPassword: str = Field(min_length=1, max_length=1024)
    newPassword: str = Field(min_length=1, max_length=1024)


@router.post("/me/change-password")
async def change_password(
    body: CurrentAndNewPasswords,
    request: Request,
    principal: Annotated[Principal, Depends(require_scopes("apim:subscribe"))],
) -> Response:
    settings: ServiceSettings = request.app.state.settings
    url = (
        f"{settings.key_manager_url.rstrip('/')}/api/am/keymanager/v1/internal/users/"
        f"{quote(principal.username, safe='')}/change-password"
    )
    await call(
        request,
        "POST",
        url,
        "Changing the password",
        params={"tenant": principal.tenant},
        json=body.model_dump(),
    )
    return Response(status_code=200)
