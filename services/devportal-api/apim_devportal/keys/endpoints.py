"""OAuth keys (per key mapping, and WSO2's older per key type resources) and API keys."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response

from apim_common.db import SessionDep
from apim_common.security import Principal, require_scopes
from apim_devportal.deps import KeyManagerDep
from apim_devportal.keys import service
from apim_devportal.keys.schemas import (
    APIKey,
    APIKeyGenerateRequest,
    APIKeyRevokeRequest,
    ApplicationKey,
    ApplicationKeyGenerateRequest,
    ApplicationKeyList,
    ApplicationKeyMappingRequest,
    ApplicationKeyReGenerateResponse,
    ApplicationKeyUpdate,
    ApplicationToken,
    ApplicationTokenGenerateRequest,
)

router = APIRouter(tags=["Application Keys", "API Keys"])

AppManager = Annotated[Principal, Depends(require_scopes("apim:subscribe", "apim:app_manage"))]
ApiKeyManager = Annotated[
    Principal, Depends(require_scopes("apim:subscribe", "apim:app_manage", "apim:api_key"))
]
KeyTypePath = Annotated[Literal["PRODUCTION", "SANDBOX"], Path()]


def _token_endpoint(request: Request) -> str:
    return str(request.app.state.settings.token_issuer)


@router.post("/applications/{applicationId}/generate-keys")
async def generate_keys(
    applicationId: str,
    body: ApplicationKeyGenerateRequest,
    request: Request,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> ApplicationKey:
    return await service.generate(
        session, principal, applicationId, body, key_manager, _token_endpoint(request)
    )


@router.post("/applications/{applicationId}/map-keys")
async def map_keys(
    applicationId: str,
    body: ApplicationKeyMappingRequest,
    request: Request,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> ApplicationKey:
    return await service.map_keys(
        session, principal, applicationId, body, key_manager, _token_endpoint(request)
    )


@router.get("/applications/{applicationId}/oauth-keys")
async def list_oauth_keys(
    applicationId: str, session: SessionDep, principal: AppManager, key_manager: KeyManagerDep
) -> ApplicationKeyList:
    found = await service.keys(session, principal, applicationId, key_manager)
    return ApplicationKeyList(count=len(found), list=found)


@router.get("/applications/{applicationId}/oauth-keys/{keyMappingId}")
async def get_oauth_key(
    applicationId: str,
    keyMappingId: str,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> ApplicationKey:
    return await service.show(
        session, await service.mapping(session, principal, applicationId, keyMappingId), key_manager
    )


@router.put("/applications/{applicationId}/oauth-keys/{keyMappingId}")
async def update_oauth_key(
    applicationId: str,
    keyMappingId: str,
    body: ApplicationKeyUpdate,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> ApplicationKey:
    found = await service.mapping(session, principal, applicationId, keyMappingId)
    return await service.update(found, body, key_manager)


@router.delete("/applications/{applicationId}/oauth-keys/{keyMappingId}")
async def delete_oauth_key(
    applicationId: str,
    keyMappingId: str,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> Response:
    found = await service.mapping(session, principal, applicationId, keyMappingId)
    await service.remove(session, found, key_manager)
    return Response(status_code=200)


@router.post("/applications/{applicationId}/oauth-keys/{keyMappingId}/regenerate-secret")
async def regenerate_oauth_secret(
    applicationId: str,
    keyMappingId: str,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> ApplicationKeyReGenerateResponse:
    found = await service.mapping(session, principal, applicationId, keyMappingId)
    return await service.regenerate_secret(found, key_manager)


@router.post("/applications/{applicationId}/oauth-keys/{keyMappingId}/clean-up")
async def clean_up_oauth_keys(
    applicationId: str,
    keyMappingId: str,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> Response:
    found = await service.mapping(session, principal, applicationId, keyMappingId)
    await service.clean_up(session, found, key_manager)
    return Response(status_code=200)


@router.post("/applications/{applicationId}/oauth-keys/{keyMappingId}/generate-token")
async def generate_oauth_token(
    applicationId: str,
    keyMappingId: str,
    body: ApplicationTokenGenerateRequest,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> ApplicationToken:
    found = await service.mapping(session, principal, applicationId, keyMappingId)
    return await service.generate_token(session, found, body, key_manager)


@router.get("/applications/{applicationId}/keys")
async def list_keys(
    applicationId: str, session: SessionDep, principal: AppManager, key_manager: KeyManagerDep
) -> ApplicationKeyList:
    found = await service.keys(session, principal, applicationId, key_manager)
    return ApplicationKeyList(count=len(found), list=found)


@router.get("/applications/{applicationId}/keys/{keyType}")
async def get_keys_of_type(
    applicationId: str,
    keyType: KeyTypePath,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
    groupId: str | None = None,
) -> ApplicationKey:
    return await service.show(
        session, await service.mapping_of_type(session, principal, applicationId, keyType), key_manager
    )


@router.put("/applications/{applicationId}/keys/{keyType}")
async def update_keys_of_type(
    applicationId: str,
    keyType: KeyTypePath,
    body: ApplicationKeyUpdate,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> ApplicationKey:
    found = await service.mapping_of_type(session, principal, applicationId, keyType)
    return await service.update(found, body, key_manager)


@router.post("/applications/{applicationId}/keys/{keyType}/regenerate-secret")
async def regenerate_secret_of_type(
    applicationId: str,
    keyType: KeyTypePath,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> ApplicationKeyReGenerateResponse:
    found = await service.mapping_of_type(session, principal, applicationId, keyType)
    return await service.regenerate_secret(found, key_manager)


@router.post("/applications/{applicationId}/keys/{keyType}/clean-up")
async def clean_up_keys_of_type(
    applicationId: str,
    keyType: KeyTypePath,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> Response:
    found = await service.mapping_of_type(session, principal, applicationId, keyType)
    await service.clean_up(session, found, key_manager)
    return Response(status_code=200)


@router.post("/applications/{applicationId}/keys/{keyType}/generate-token")
async def generate_token_of_type(
    applicationId: str,
    keyType: KeyTypePath,
    body: ApplicationTokenGenerateRequest,
    session: SessionDep,
    principal: AppManager,
    key_manager: KeyManagerDep,
) -> ApplicationToken:
    found = await service.mapping_of_type(session, principal, applicationId, keyType)
    return await service.generate_token(session, found, body, key_manager)


@router.post("/applications/{applicationId}/api-keys/{keyType}/generate")
async def generate_api_key(
    applicationId: str,
    keyType: KeyTypePath,
    session: SessionDep,
    principal: ApiKeyManager,
    key_manager: KeyManagerDep,
    body: APIKeyGenerateRequest | None = None,
) -> APIKey:
    request = body or APIKeyGenerateRequest()
    return await service.generate_api_key(session, principal, applicationId, keyType, request, key_manager)


@router.post("/applications/{applicationId}/api-keys/{keyType}/revoke")
async def revoke_api_key(
    applicationId: str,
    keyType: KeyTypePath,
    body: APIKeyRevokeRequest,
    session: SessionDep,
    principal: ApiKeyManager,
) -> Response:
    await service.revoke_api_key(session, principal, applicationId, keyType, body.apikey)
    return Response(status_code=200)
