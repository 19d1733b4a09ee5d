"""HEAD /roles/{roleId}: 200 when the Base64URL-encoded role exists in the caller's tenant (the key
manager owns roles), 404 when not, as WSO2 answers."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response

from apim_admin.scopes import ADMIN
from apim_common.errors import NotFound
from apim_common.internal_calls import call
from apim_common.security import Principal, require_scopes
from apim_common.settings import ServiceSettings

router = APIRouter(prefix="/api/am/admin/v4", tags=["Roles"])

RoleManage = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:role_manage"))]


@router.head("/roles/{roleId}")
async def role_exists(roleId: str, request: Request, principal: RoleManage) -> Response:
    try:
        role = base64.urlsafe_b64decode(roleId + "=" * (-len(roleId) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotFound(f"{roleId} is not a Base64URL-encoded role name") from None
    settings: ServiceSettings = request.app.state.settings
    url = f"{settings.key_manager_url.rstrip('/')}/api/am/keymanager/v1/internal/roles/{quote(role, safe='')}"
    await call(request, "GET", url, f"Role {role}", params={"tenant": principal.tenant})
    return Response(status_code=200)
