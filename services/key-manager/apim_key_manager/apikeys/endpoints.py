"""Internal: devportal-api has API keys signed here, with the key manager's API-key key."""

from __future__ import annotations

from fastapi import APIRouter

from apim_common.security import InternalPrincipal
from apim_key_manager.apikeys.schemas import APIKeyPublic, APIKeyRequest
from apim_key_manager.apikeys.service import sign_api_key
from apim_key_manager.context import KeyManagerDep

router = APIRouter(prefix="/api/am/keymanager/v1/internal/api-keys", tags=["Internal: API keys"])


@router.post("", summary="Sign an API key")
async def sign(body: APIKeyRequest, km: KeyManagerDep, _: InternalPrincipal) -> APIKeyPublic:
    ring = await km.keys.current()
    key, jti = sign_api_key(ring, km.settings.token_issuer, body)
    return APIKeyPublic(apikey=key, validityTime=body.validityPeriod, jti=jti)
