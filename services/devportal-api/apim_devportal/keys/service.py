"""OAuth keys and API keys of an application, through the key manager.

Generating keys registers an OAuth client at the key manager (one per application, key type
and key manager); the key manager must be one the caller's roles may use (4.3 visibility).
Regenerating a secret and deleting a client make the key manager revoke the client's older
tokens (indirect revocation).
"""

from __future__ import annotations

import base64
import hmac
import json
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import APIError, BadRequest, NotFound
from apim_common.events.schemas import TokenRevokedData
from apim_common.events.topics import Topic
from apim_common.security import Principal
from apim_devportal.applications import service as applications
from apim_devportal.applications.models import Application
from apim_devportal.applications.repository import ApplicationRepository
from apim_devportal.applications.views import key as key_view
from apim_devportal.catalog.repository import CatalogRepository
from apim_devportal.common import new_id, roles_of, utcnow
from apim_devportal.events import announce
from apim_devportal.key_managers import service as key_managers
from apim_devportal.keys.client import KeyManagerClient, OAuthClient
from apim_devportal.keys.events import announce_mapping
from apim_devportal.keys.models import ApiKeyRecord, KeyMapping
from apim_devportal.keys.repository import ApiKeyRepository, KeyMappingRepository
from apim_devportal.keys.schemas import (
    APIKey,
    APIKeyGenerateRequest,
    ApplicationKey,
    ApplicationKeyGenerateRequest,
    ApplicationKeyMappingRequest,
    ApplicationKeyReGenerateResponse,
    ApplicationKeyUpdate,
    ApplicationToken,
    ApplicationTokenGenerateRequest,
)
from apim_devportal.subscriptions.repository import SubscriptionRepository
from apim_devportal.throttling import service as tiers

CLIENT_CREDENTIALS = "client_credentials"


def _approved(app: Application) -> None:
    if app.status != "APPROVED":
        raise BadRequest(f"Application {app.name} is not approved yet", message="Application Not Approved")


async def generate(
    session: AsyncSession,
    principal: Principal,
    application_id: str,
    body: ApplicationKeyGenerateRequest,
    client: KeyManagerClient,
    token_endpoint: str,
) -> ApplicationKey:
    app = await applications.visible(session, principal, application_id)
    _approved(app)
    manager = await key_managers.require_usable(
        session, app.tenant, roles_of(principal), body.keyManager, token_endpoint
    )
    repository = KeyMappingRepository(session)
    if await repository.find(app.id, body.keyType, body.keyManager) is not None:
        raise BadRequest(
            f"Keys are already generated for application {app.name}, key type {body.keyType} and key "
            f"manager {body.keyManager}",
            message="Keys Already Generated",
        )
    available = set(manager.get("availableGrantTypes") or []) or None
    grants = list(dict.fromkeys(body.grantTypesToBeSupported))
    if available is not None and not set(grants) <= available:
        raise BadRequest(
            f"Grant types {sorted(set(grants) - available)} are not supported by {body.keyManager}"
        )
    suffix = "" if body.keyManager == key_managers.RESIDENT else f"_{body.keyManager}"
    registered = await client.create_client(
        name=f"{app.owner}_{app.name}_{body.keyType}{suffix}_{app.id[:8]}",
        owner=app.owner,
        grant_types=grants,
        callback_url=body.callbackUrl or "",
        application_id=app.id,
    )
    mapping = KeyMapping(
        id=new_id(),
        application_id=app.id,
        tenant=app.tenant,
        key_type=body.keyType,
        key_manager=body.keyManager,
        consumer_key=registered.clientId,
        mode="CREATED",
        key_state="COMPLETED",
        grant_types=registered.grantTypes or grants,
        callback_url=body.callbackUrl or "",
        additional_properties=dict(body.additionalProperties),
        created_at=utcnow(),
    )
    await repository.add(mapping)
    await announce_mapping(session, mapping, "created")
    shown = key_view(mapping)
    shown.consumerSecret = registered.clientSecret
    if CLIENT_CREDENTIALS in grants:
        issued = await client.client_credentials_token(
            registered.clientId, registered.clientSecret, body.scopes, body.validityTime
        )
        shown.token = ApplicationToken(
            accessToken=issued.access_token,
            tokenScopes=issued.scope.split() if issued.scope else list(body.scopes),
            validityTime=issued.expires_in,
        )
    return shown


async def map_keys(
    session: AsyncSession,
    principal: Principal,
    application_id: str,
    body: ApplicationKeyMappingRequest,
    client: KeyManagerClient,
    token_endpoint: str,
) -> ApplicationKey:
    """Bring an OAuth client that already exists at the key manager into the application."""
    app = await applications.visible(session, principal, application_id)
    _approved(app)
    await key_managers.require_usable(
        session, app.tenant, roles_of(principal), body.keyManager, token_endpoint
    )
    repository = KeyMappingRepository(session)
    if await repository.find(app.id, body.keyType, body.keyManager) is not None:
        raise BadRequest(f"Keys of type {body.keyType} already exist for application {app.name}")
    if not body.consumerSecret:
        raise BadRequest(
            "consumerSecret is required: only the holder of a client's secret may map it",
            message="Consumer Secret Required",
        )
    # Only an application client of the application's owner is read; a wrong secret and a client of
    # someone else answer alike, so neither the secret nor the client's existence leaks.
    existing = await client.get_client(body.consumerKey, owner=app.owner, tenant=app.tenant)
    if existing is None or not _same_secret(body.consumerSecret, existing.clientSecret):
        raise BadRequest(
            f"The consumer key and secret do not match an OAuth client of {app.owner} at {body.keyManager}",
            message="Invalid Consumer Credentials",
        )
    if await repository.by_consumer_key(body.consumerKey, body.keyManager) is not None:
        raise BadRequest(f"Consumer key {body.consumerKey} is already mapped to an application")
    mapping = KeyMapping(
        id=new_id(),
        application_id=app.id,
        tenant=app.tenant,
        key_type=body.keyType,
        key_manager=body.keyManager,
        consumer_key=body.consumerKey,
        mode="MAPPED",
        key_state="COMPLETED",
        grant_types=existing.grantTypes,
        callback_url=existing.callbackUrl,
        additional_properties={},
        created_at=utcnow(),
    )
    await repository.add(mapping)
    await announce_mapping(session, mapping, "created")
    shown = key_view(mapping)
    shown.consumerSecret = body.consumerSecret
    return shown


def _same_secret(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


async def _client_of(app: Application, mapping: KeyMapping, client: KeyManagerClient) -> OAuthClient | None:
    """The mapped client as the key manager shows it to the application's owner."""
    return await client.get_client(
        mapping.consumer_key, owner=app.owner, tenant=app.tenant, application_id=app.id
    )


async def _application_of(session: AsyncSession, mapping: KeyMapping) -> Application:
    app = await ApplicationRepository(session).get(mapping.application_id)
    if app is None:
        raise NotFound(f"Application {mapping.application_id} not found")
    return app


async def _with_secret(app: Application, mapping: KeyMapping, client: KeyManagerClient) -> ApplicationKey:
    shown = key_view(mapping)
    try:
        found = await _client_of(app, mapping, client)
    except APIError:
        found = None  # the listing still answers while the key manager is away
    if found is not None and found.clientSecret:
        shown.consumerSecret = found.clientSecret
    return shown


async def keys(
    session: AsyncSession, principal: Principal, application_id: str, client: KeyManagerClient
) -> list[ApplicationKey]:
    app = await applications.visible(session, principal, application_id)
    mappings = await KeyMappingRepository(session).of_application(app.id)
    return [await _with_secret(app, m, client) for m in mappings]


async def mapping(
    session: AsyncSession, principal: Principal, application_id: str, key_mapping_id: str
) -> KeyMapping:
    app = await applications.visible(session, principal, application_id)
    found = await KeyMappingRepository(session).get(key_mapping_id)
    if found is None or found.application_id != app.id:
        raise NotFound(f"Key mapping {key_mapping_id} not found for application {application_id}")
    return found


async def mapping_of_type(
    session: AsyncSession, principal: Principal, application_id: str, key_type: str
) -> KeyMapping:
    """WSO2's older /keys/{keyType} resources: the key type's mapping, the resident one first."""
    app = await applications.visible(session, principal, application_id)
    candidates = [
        m for m in await KeyMappingRepository(session).of_application(app.id) if m.key_type == key_type
    ]
    if not candidates:
        raise NotFound(f"Application {app.name} has no {key_type} keys")
    candidates.sort(key=lambda m: m.key_manager != key_managers.RESIDENT)
    return candidates[0]


async def show(session: AsyncSession, found: KeyMapping, client: KeyManagerClient) -> ApplicationKey:
    return await _with_secret(await _application_of(session, found), found, client)


async def update(found: KeyMapping, body: ApplicationKeyUpdate, client: KeyManagerClient) -> ApplicationKey:
    grants = list(dict.fromkeys(body.supportedGrantTypes)) if body.supportedGrantTypes is not None else None
    callback = body.callbackUrl if body.callbackUrl is not None else found.callback_url
    updated = await client.update_client(
        found.consumer_key,
        grant_types=grants if grants is not None else list(found.grant_types),
        callback_url=callback,
    )
    found.grant_types = updated.grantTypes or grants or found.grant_types
    found.callback_url = callback
    if body.additionalProperties is not None:
        found.additional_properties = dict(body.additionalProperties)
    shown = key_view(found)
    shown.consumerSecret = updated.clientSecret or None
    return shown


async def remove(session: AsyncSession, found: KeyMapping, client: KeyManagerClient) -> None:
    await announce_mapping(session, found, "deleted")
    await KeyMappingRepository(session).delete(found)
    if found.mode == "CREATED":
        await client.delete_client(found.consumer_key)


async def clean_up(session: AsyncSession, found: KeyMapping, client: KeyManagerClient) -> bool:
    """Drop a mapping left behind by a failed generation (its client is gone from the key manager)."""
    app = await _application_of(session, found)
    if found.key_state == "COMPLETED" and await _client_of(app, found, client) is not None:
        return False
    await announce_mapping(session, found, "deleted")
    await KeyMappingRepository(session).delete(found)
    return True


async def regenerate_secret(found: KeyMapping, client: KeyManagerClient) -> ApplicationKeyReGenerateResponse:
    if found.mode != "CREATED":
        raise BadRequest("The secret of mapped keys is changed where the client was created")
    renewed = await client.regenerate_secret(found.consumer_key)
    return ApplicationKeyReGenerateResponse(consumerKey=renewed.clientId, consumerSecret=renewed.clientSecret)


async def generate_token(
    session: AsyncSession,
    found: KeyMapping,
    body: ApplicationTokenGenerateRequest,
    client: KeyManagerClient,
) -> ApplicationToken:
    if body.grantType != "CLIENT_CREDENTIALS":
        raise BadRequest("Only the client credentials grant issues tokens here")
    secret = body.consumerSecret
    if not secret:
        known = await _client_of(await _application_of(session, found), found, client)
        secret = known.clientSecret if known is not None else None
    if not secret:
        raise BadRequest("consumerSecret is required")
    issued = await client.client_credentials_token(
        found.consumer_key, secret, body.scopes, body.validityPeriod
    )
    return ApplicationToken(
        accessToken=issued.access_token,
        tokenScopes=issued.scope.split() if issued.scope else list(body.scopes),
        validityTime=issued.expires_in,
    )


def _permitted(properties: dict[str, Any], key: str) -> str:
    value = properties.get(key, "")
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value or "")


async def generate_api_key(
    session: AsyncSession,
    principal: Principal,
    application_id: str,
    key_type: str,
    body: APIKeyGenerateRequest,
    client: KeyManagerClient,
) -> APIKey:
    app = await applications.visible(session, principal, application_id)
    _approved(app)
    usable = ("UNBLOCKED",) if key_type == "PRODUCTION" else ("UNBLOCKED", "PROD_ONLY_BLOCKED")
    subscribed: list[dict[str, Any]] = []
    tier_info: dict[str, dict[str, Any]] = {}
    catalog = CatalogRepository(session)
    for sub in await SubscriptionRepository(session).of_application(app.id):
        api = await catalog.get(sub.api_id)
        if api is None or sub.status not in usable:
            continue
        subscribed.append(
            {
                "name": api.name,
                "context": api.context,
                "version": api.version,
                "publisher": api.provider,
                "uuid": api.id,
                "subscriptionTier": sub.throttling_policy,
                "subscriberTenantDomain": app.tenant,
            }
        )
        policy = await tiers.policy(session, api.tenant, "subscription", sub.throttling_policy)
        default_limit = (policy or {}).get("defaultLimit") or {}
        bandwidth = default_limit.get("type") == "BANDWIDTHLIMIT"
        limit = default_limit.get("bandwidth" if bandwidth else "requestCount") or {}
        tier_info[sub.throttling_policy] = {
            "tierQuotaType": "bandwidthVolume" if bandwidth else "requestCount",
            "stopOnQuotaReach": bool((policy or {}).get("stopOnQuotaReach", True)),
            "spikeArrestLimit": 0,
            "spikeArrestUnit": None,
            "timeUnit": limit.get("timeUnit"),
            **(
                {"dataAmount": limit.get("dataAmount"), "dataUnit": limit.get("dataUnit")}
                if bandwidth
                else {"requestCount": limit.get("requestCount")}
            ),
        }
    signed = await client.sign_api_key(
        {
            "username": app.owner,
            "tenant": app.tenant,
            "keyType": key_type,
            "application": {
                "uuid": app.id,
                "name": app.name,
                "owner": app.owner,
                "tier": app.throttling_policy,
            },
            "subscribedAPIs": subscribed,
            "tierInfo": tier_info,
            "validityPeriod": body.validityPeriod if body.validityPeriod > 0 else -1,
            "permittedIP": _permitted(body.additionalProperties, "permittedIP"),
            "permittedReferer": _permitted(body.additionalProperties, "permittedReferer"),
        }
    )
    issued = utcnow()
    expires = issued + timedelta(seconds=body.validityPeriod) if body.validityPeriod > 0 else None
    await ApiKeyRepository(session).add(
        ApiKeyRecord(
            jti=signed.jti, application_id=app.id, key_type=key_type, issued_at=issued, expires_at=expires
        )
    )
    return APIKey(apikey=signed.apikey, validityTime=signed.validityTime)


def _claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        claims: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise BadRequest("The API key is not a valid token", message="Invalid API Key") from exc
    if not isinstance(claims, dict):
        raise BadRequest("The API key is not a valid token", message="Invalid API Key")
    return claims


async def revoke_api_key(
    session: AsyncSession, principal: Principal, application_id: str, key_type: str, apikey: str
) -> None:
    """Mark the key revoked and announce its id until it would have expired; gateways drop it."""
    app = await applications.visible(session, principal, application_id)
    claims = _claims(apikey)
    record = await ApiKeyRepository(session).get(str(claims.get("jti") or ""))
    if record is None or record.application_id != app.id or record.key_type != key_type:
        raise BadRequest(
            "The API key was not issued to this application and key type", message="Invalid API Key"
        )
    if record.revoked:
        return
    record.revoked = True
    expires = record.expires_at or (utcnow() + timedelta(days=365 * 100))
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    exp = claims.get("exp")
    expires_at = int(exp) if isinstance(exp, int) else int(expires.timestamp())
    await session.flush()
    await announce(
        session,
        Topic.TOKEN_REVOCATIONS,
        "token.revoked",
        record.jti,
        TokenRevokedData(
            jti=record.jti, expiresAt=expires_at, tokenType="apiKey", applicationId=app.id
        ).model_dump(mode="json"),
        tenant=app.tenant,
    )
