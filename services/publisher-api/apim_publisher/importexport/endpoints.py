"""``POST /apis/import``: an API project zip (as ``/apis/export`` and ``apimctl init`` write it)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel

from apim_common.db import SessionDep
from apim_common.security import Principal, require_scopes
from apim_publisher import scopes
from apim_publisher.apis.endpoint_security import SecretsDep
from apim_publisher.importexport import service
from apim_publisher.internal_calls import call, key_manager

router = APIRouter(tags=["Import Export"])

# WSO2 lists these two for importAPI; the creator and publisher scopes are not enough.
ApiImport = Annotated[Principal, Depends(require_scopes(scopes.API_IMPORT_EXPORT, "apim:admin"))]


def user_check(request: Request) -> service.UserCheck:
    """Whether a project's provider is a user of a tenant, asked of the key manager; the API and
    API product imports share it for ``preserveProvider``."""

    async def user_exists(username: str, tenant: str) -> str:
        url = key_manager(request, f"/users/{quote(username, safe='')}")
        found = await call(request, "GET", url, f"User {username}", params={"tenant": tenant})
        return str(found["username"])

    return user_exists


UserCheckDep = Annotated[service.UserCheck, Depends(user_check)]


class ImportAPIResponse(BaseModel):
    id: str
    revision: str | None = None


@router.post("/apis/import", response_model=ImportAPIResponse, response_model_exclude_none=True)
async def import_api(
    session: SessionDep,
    principal: ApiImport,
    secrets: SecretsDep,
    user_exists: UserCheckDep,
    file: Annotated[UploadFile, File()],
    overwrite: bool = False,
    rotateRevision: bool = False,
    preserveProvider: bool = True,
    preservePortalConfigurations: bool = False,
) -> ImportAPIResponse:
    """preserveProvider keeps the project's provider when it is a user of the caller's tenant;
    preservePortalConfigurations (with overwrite) keeps the existing API's portal configurations."""
    archive = await file.read(service.MAX_ARCHIVE_BYTES + 1)
    api, revision = await service.import_project(
        session,
        principal,
        archive,
        overwrite=overwrite,
        rotate_revision=rotateRevision,
        preserve_provider=preserveProvider,
        user_exists=user_exists,
        preserve_portal_configurations=preservePortalConfigurations,
        secrets=secrets,
    )
    return ImportAPIResponse(id=api.id, revision=revision)
