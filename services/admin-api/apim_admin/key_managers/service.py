"""Key managers of a tenant and the global ones; each change is a key-managers event."""

import json
from collections.abc import Sequence
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.events import announce
from apim_admin.key_managers.models import KeyManager
from apim_admin.key_managers.repository import KeyManagerRepository
from apim_admin.key_managers.schemas import (
    APIInfoKeyManager,
    ApplicationInfoKeyManager,
    KeyManagerAPIUsages,
    KeyManagerAppUsages,
    KeyManagerInfo,
    KeyManagerWellKnownResponse,
)
from apim_admin.key_managers.schemas import KeyManager as KeyManagerDTO
from apim_admin.scopes import SUPER_TENANT
from apim_admin.usage.repository import KnownApiRepository, KnownKeyMappingRepository
from apim_common.crypto_policy import CryptoPolicyError, active
from apim_common.errors import BadRequest, Conflict, Forbidden, NotFound
from apim_common.events.redaction import MASK, is_secret_name, masked
from apim_common.events.topics import Topic
from apim_common.outbound import OutboundRefused, TooLarge, fetch_bytes

RESIDENT = "Resident Key Manager"
RESIDENT_TYPE = "default"
MAX_WELL_KNOWN_BYTES = 1024 * 1024


def public(key_manager: KeyManager) -> KeyManagerDTO:
    """The key manager as every view and event shows it: a connector's credentials in
    ``additionalProperties`` (client_secret, password...) masked as ``""``."""
    body = {
        **key_manager.body,
        "additionalProperties": masked(key_manager.body.get("additionalProperties") or {}),
    }
    return KeyManagerDTO.model_validate(
        {**body, "id": key_manager.id, "name": key_manager.name, "global": key_manager.is_global}
    )


def _keep_masked_secrets(dto: KeyManagerDTO, stored: dict[str, Any]) -> None:
    """A secret sent back as the mask (``""``, as the GET showed it) keeps its stored value."""
    before = stored.get("additionalProperties") or {}
    for name, value in dto.additionalProperties.items():
        if is_secret_name(name) and value == MASK and before.get(name):
            dto.additionalProperties[name] = before[name]


def _body(dto: KeyManagerDTO) -> dict[str, Any]:
    body = dto.model_dump(mode="json", by_alias=True, exclude={"id"})
    body["displayName"] = dto.displayName or dto.name
    return body


async def _announce(session: AsyncSession, action: str, key_manager: KeyManager) -> None:
    data = public(key_manager).model_dump(mode="json", by_alias=True)
    await announce(
        session, Topic.KEY_MANAGERS, f"key-manager.{action}", key_manager.id, data, tenant=key_manager.tenant
    )


async def info(session: AsyncSession, tenant: str, key_manager: KeyManager) -> KeyManagerInfo:
    used = await KnownKeyMappingRepository(session).count_for(tenant, [key_manager.name])
    return KeyManagerInfo(
        id=key_manager.id,
        name=key_manager.name,
        displayName=key_manager.body.get("displayName"),
        type=str(key_manager.body.get("type")),
        description=key_manager.body.get("description"),
        enabled=bool(key_manager.body.get("enabled", True)),
        isGlobal=key_manager.is_global,
        isUsed=used > 0,
        tokenType=str(key_manager.body.get("tokenType", "DIRECT")),
    )


async def list_visible(session: AsyncSession, tenant: str) -> list[KeyManagerInfo]:
    return [await info(session, tenant, k) for k in await KeyManagerRepository(session).visible_to(tenant)]


async def list_global(session: AsyncSession, tenant: str) -> list[KeyManagerInfo]:
    return [await info(session, tenant, k) for k in await KeyManagerRepository(session).global_ones()]


async def get(
    session: AsyncSession, tenant: str, key_manager_id: str, *, global_: bool = False
) -> KeyManager:
    repository = KeyManagerRepository(session)
    found = await (
        repository.global_one(key_manager_id) if global_ else repository.own(tenant, key_manager_id)
    )
    if found is None and not global_:
        # A tenant may read a global key manager by id too.
        found = await repository.global_one(key_manager_id)
    if found is None:
        raise NotFound(f"Key manager {key_manager_id} was not found")
    return found


def _only_super_tenant(tenant: str) -> None:
    if tenant != SUPER_TENANT:
        raise Forbidden("Only the super tenant's administrators manage global key managers")


async def refuse_unapproved_keys(http: httpx.AsyncClient, dto: KeyManagerDTO) -> None:
    """In FIPS mode (apim_common.crypto_policy) the keys a key manager signs with must be approved:
    its PEM is read, its JWKS fetched through the outbound guard, and a refused key answers 400
    naming it. A JWKS that cannot be fetched yet is let through: the gateways check every key again
    when they fetch it, and ignore a refused one."""
    policy = active()
    if not policy.fips:
        return
    if dto.signingAlgorithm is not None:
        try:
            policy.check_jws_algorithm(dto.signingAlgorithm)
        except CryptoPolicyError as exc:
            raise BadRequest(f"signingAlgorithm is refused: {exc}") from exc
    if dto.certificates is None:
        return
    if dto.certificates.type == "PEM":
        try:
            policy.check_key(_pem_key(dto.certificates.value))
        except CryptoPolicyError as exc:
            raise BadRequest(f"certificates.value is refused: {exc}") from exc
        except ValueError as exc:
            raise BadRequest("certificates.value is not a PEM public key or certificate") from exc
        return
    try:
        status, content = await fetch_bytes(http, dto.certificates.value, max_bytes=MAX_WELL_KNOWN_BYTES)
        document = json.loads(content) if status < 400 else None
    except (httpx.HTTPError, ValueError, RecursionError, TooLarge, OutboundRefused):
        return
    keys = document.get("keys") if isinstance(document, dict) else None
    for key in keys if isinstance(keys, list) else ():
        try:
            policy.check_jwk(key if isinstance(key, dict) else {})
        except CryptoPolicyError as exc:
            raise BadRequest(f"The key manager's JWKS is refused: {exc}") from exc


def _pem_key(pem: str) -> object:
    data = pem.encode()
    if b"CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return serialization.load_pem_public_key(data)


async def create(
    session: AsyncSession,
    tenant: str,
    dto: KeyManagerDTO,
    *,
    global_: bool = False,
    http: httpx.AsyncClient | None = None,
) -> KeyManager:
    if global_:
        _only_super_tenant(tenant)
    if http is not None:
        await refuse_unapproved_keys(http, dto)
    repository = KeyManagerRepository(session)
    if await repository.by_name(tenant, dto.name) is not None:
        raise Conflict(f"Key manager {dto.name} already exists")
    key_manager = await repository.add(
        KeyManager(tenant=tenant, name=dto.name, is_global=global_, body=_body(dto))
    )
    await _announce(session, "created", key_manager)
    return key_manager


async def update(
    session: AsyncSession,
    tenant: str,
    key_manager_id: str,
    dto: KeyManagerDTO,
    *,
    global_: bool = False,
    http: httpx.AsyncClient | None = None,
) -> KeyManager:
    if global_:
        _only_super_tenant(tenant)
    key_manager = await KeyManagerRepository(session).global_one(key_manager_id) if global_ else None
    if not global_:
        key_manager = await KeyManagerRepository(session).own(tenant, key_manager_id)
    if key_manager is None:
        raise NotFound(f"Key manager {key_manager_id} was not found")
    if dto.name != key_manager.name:
        raise BadRequest("a key manager's name cannot be changed")
    if key_manager.name == RESIDENT and dto.type != RESIDENT_TYPE:
        raise BadRequest("the resident key manager's type cannot be changed")
    if http is not None:
        await refuse_unapproved_keys(http, dto)
    _keep_masked_secrets(dto, key_manager.body)
    key_manager.body = _body(dto)
    await session.flush()
    await _announce(session, "updated", key_manager)
    return key_manager


async def delete(session: AsyncSession, tenant: str, key_manager_id: str, *, global_: bool = False) -> None:
    if global_:
        _only_super_tenant(tenant)
    repository = KeyManagerRepository(session)
    key_manager = await (
        repository.global_one(key_manager_id) if global_ else repository.own(tenant, key_manager_id)
    )
    if key_manager is None:
        raise NotFound(f"Key manager {key_manager_id} was not found")
    if key_manager.name == RESIDENT and not global_:
        raise BadRequest("the resident key manager cannot be deleted; disable it instead")
    if await KnownKeyMappingRepository(session).count_for(key_manager.tenant, [key_manager.name]):
        raise Conflict(f"Key manager {key_manager.name} holds application keys", message="Key manager in use")
    await _announce(session, "deleted", key_manager)
    await repository.delete(key_manager)


def _from_well_known(document: dict[str, Any], url: str, type_: str) -> KeyManagerDTO:
    def text(key: str) -> str | None:
        value = document.get(key)
        return str(value) if value else None

    issuer = text("issuer") or url
    jwks = text("jwks_uri")
    return KeyManagerDTO.model_validate(
        {
            "name": type_ or "discovered",
            "type": type_ or "custom",
            "wellKnownEndpoint": url,
            "issuer": issuer,
            "tokenEndpoint": text("token_endpoint"),
            "revokeEndpoint": text("revocation_endpoint"),
            "introspectionEndpoint": text("introspection_endpoint"),
            "userInfoEndpoint": text("userinfo_endpoint"),
            "authorizeEndpoint": text("authorization_endpoint"),
            "clientRegistrationEndpoint": text("registration_endpoint"),
            "availableGrantTypes": [str(g) for g in document.get("grant_types_supported") or []],
            "certificates": {"type": "JWKS", "value": jwks} if jwks else None,
            "enableSelfValidationJWT": jwks is not None,
        }
    )


async def discover(http: httpx.AsyncClient, url: str, type_: str) -> KeyManagerWellKnownResponse:
    """Read an OpenID Provider's well-known document and prefill a key manager from it.

    ``http`` is the outbound-guarded client: a URL aimed at a private address answers 400."""
    try:
        status, content = await fetch_bytes(http, url, max_bytes=MAX_WELL_KNOWN_BYTES)
        document = json.loads(content) if status < 400 else None
    except httpx.InvalidURL as exc:
        raise BadRequest(f"url is not a valid URL: {exc}") from exc
    except (httpx.HTTPError, ValueError, RecursionError, TooLarge):
        return KeyManagerWellKnownResponse(valid=False)
    if not isinstance(document, dict) or "issuer" not in document:
        return KeyManagerWellKnownResponse(valid=False)
    return KeyManagerWellKnownResponse(valid=True, value=_from_well_known(document, url, type_))


async def api_usages(
    session: AsyncSession, tenant: str, key_manager_id: str, *, limit: int, offset: int
) -> KeyManagerAPIUsages:
    key_manager = await get(session, tenant, key_manager_id)
    apis, total = await KnownApiRepository(session).using_key_manager(
        tenant, key_manager.name, limit=limit, offset=offset
    )
    return KeyManagerAPIUsages(
        apiCount=total,
        apis=[
            APIInfoKeyManager(
                id=a.id,
                type=a.type,
                name=a.name,
                context=a.context,
                version=a.version,
                provider=a.provider,
                status=a.status,
                keyManagerEntry=key_manager.name if key_manager.name in a.key_managers else "all",
            )
            for a in apis
        ],
    )


async def app_usages(
    session: AsyncSession, tenant: str, key_manager_id: str, *, limit: int, offset: int
) -> KeyManagerAppUsages:
    key_manager = await get(session, tenant, key_manager_id)
    rows, total = await KnownKeyMappingRepository(session).applications_of(
        tenant, [key_manager.name], limit=limit, offset=offset
    )
    return KeyManagerAppUsages(
        applicationCount=total,
        applications=[
            ApplicationInfoKeyManager(
                name=app.name if app else "", uuid=app_id, owner=app.owner if app else "", organization=tenant
            )
            for app_id, app in rows
        ],
    )


def resident(key_manager_url: str, issuer: str) -> KeyManagerDTO:
    base = key_manager_url.rstrip("/")
    return KeyManagerDTO.model_validate(
        {
            "name": RESIDENT,
            "displayName": RESIDENT,
            "type": RESIDENT_TYPE,
            "description": "This is Resident Key Manager",
            "issuer": issuer,
            "tokenEndpoint": f"{base}/oauth2/token",
            "revokeEndpoint": f"{base}/oauth2/revoke",
            "introspectionEndpoint": f"{base}/oauth2/introspect",
            "clientRegistrationEndpoint": f"{base}/client-registration/v0.17/register",
            "wellKnownEndpoint": f"{base}/.well-known/openid-configuration",
            "certificates": {"type": "JWKS", "value": f"{base}/oauth2/jwks"},
            "availableGrantTypes": [
                "client_credentials",
                "password",
                "refresh_token",
                "authorization_code",
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ],
            "enableOAuthAppCreation": True,
            "enableMapOAuthConsumerApps": True,
        }
    )


async def seed(session: AsyncSession, tenant: str, key_manager_url: str, issuer: str) -> None:
    repository = KeyManagerRepository(session)
    if await repository.by_name(tenant, RESIDENT) is None:
        dto = resident(key_manager_url, issuer)
        await repository.add(KeyManager(tenant=tenant, name=RESIDENT, body=_body(dto)))


async def every_tenant(session: AsyncSession) -> Sequence[KeyManager]:
    return await KeyManagerRepository(session).every_tenant()
