"""``POST /apis/import``: an API project zip (as ``/apis/export`` and ``apimctl init`` write it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel

from apim_common.db import SessionDep
from apim_common.security import Principal, require_scopes
from apim_publisher import scopes
from apim_publisher.apis.endpoint_security import SecretsDep
from apim_publisher.importexport import service

router = APIRouter(tags=["Import Export"])

# WSO2 lists these two for importAPI; the creator and publisher scopes are not enough.
ApiImport = Annotated[Principal, Depends(require_scopes(scopes.API_IMPORT_EXPORT, "apim:admin"))]


class ImportAPIResponse(BaseModel):
    id: str
    revision: str | None = None


@router.post("/apis/import", response_model=ImportAPIResponse, response_model_exclude_none=True)
async def import_api(
    session: SessionDep,
    principal: ApiImport,
    secrets: SecretsDep,
    file: Annotated[UploadFile, File()],
    overwrite: bool = False,
    rotateRevision: bool = False,
    preserveProvider: bool = True,
    preservePortalConfigurations: bool = False,
) -> ImportAPIResponse:
    archive = await file.read(service.MAX_ARCHIVE_BYTES + 1)
    api, revision = await service.import_project(
        session, principal, archive, overwrite=overwrite, rotate_revision=rotateRevision, secrets=secrets
    )
    return ImportAPIResponse(id=api.id, revision=revision)
