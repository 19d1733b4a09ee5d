"""WSO2's SDK resources: the languages offered, and a zip of a client of an API the caller sees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from apim_common.db import SessionDep
from apim_common.security import Principal, require_scopes
from apim_devportal.catalog import service as catalog
from apim_devportal.common import RequestedTenant
from apim_devportal.deps import SettingsDep
from apim_devportal.sdkgen import service
from apim_devportal.sdkgen.service import SDKs

router = APIRouter(tags=["SDKs"])

Subscriber = Annotated[Principal, Depends(require_scopes("apim:subscribe"))]


def _sdks(request: Request) -> SDKs:
    sdks: SDKs = request.app.state.sdks
    return sdks


SDKsDep = Annotated[SDKs, Depends(_sdks)]


@router.get("/sdk-gen/languages")
async def list_sdk_languages(principal: Subscriber, sdks: SDKsDep) -> list[str]:
    return await sdks.languages()


@router.get(
    "/apis/{apiId}/sdks/{language}",
    responses={200: {"content": {"application/zip": {}}, "description": "SDK generated successfully"}},
)
async def generate_sdk(
    apiId: str,
    language: str,
    session: SessionDep,
    principal: Subscriber,
    tenant: RequestedTenant,
    settings: SettingsDep,
    sdks: SDKsDep,
) -> Response:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    definition = catalog.openapi_definition(api, settings.gateway_url)
    # The catalog is read: its connection goes back to the pool before a generator runs for seconds.
    await session.commit()
    name = service.file_name(api.name, language.lower(), api.version)
    made = await sdks.sdk(definition, language, name)
    return Response(
        made,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
    )
