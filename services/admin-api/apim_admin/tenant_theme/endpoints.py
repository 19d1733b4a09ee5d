"""GET/PUT /tenant-theme."""

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from apim_admin.scopes import TenantTheme
from apim_admin.tenant_theme import service
from apim_common.db import SessionDep

router = APIRouter(prefix="/api/am/admin/v4", tags=["Tenant Theme"])


@router.get("/tenant-theme", response_class=Response)
async def export_tenant_theme(session: SessionDep, principal: TenantTheme) -> Response:
    content = await service.get(session, principal.tenant)
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="tenant-theme.zip"'},
    )


@router.put("/tenant-theme")
async def import_tenant_theme(
    file: Annotated[UploadFile, File()], session: SessionDep, principal: TenantTheme
) -> None:
    await service.put(session, principal.tenant, await file.read(service.MAX_THEME_BYTES + 1))
