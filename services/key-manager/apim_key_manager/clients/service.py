"""OAuth clients: registration, secrets, and the fast check of client credentials.

Secrets are random 32-byte strings; the token endpoint compares an HMAC-SHA256 of the presented
secret (a memory-hard password hash would cap client_credentials throughput for no gain on such
secrets). Each replica caches client records with their owner's roles for ``cache_ttl`` seconds,
read once for every request that misses at the same time; changes made by this process drop the
cached record at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import Database
from apim_common.errors import NotFound
from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.service_auth import INTERNAL_CLIENT_ID, internal_client_secret
from apim_key_manager.cache import LoadingCache
from apim_key_manager.clients.models import OAuthClient
from apim_key_manager.clients.repository import ClientRepository
from apim_key_manager.keys import crypto
from apim_key_manager.revocation.service import revoke_issued_before
from apim_key_manager.users.repository import UserRepository
from apim_key_manager.users.service import UserService

# WSO2's DCR removes the redirect-based grants: REST clients never send a browser anywhere.
STRIPPED_GRANTS = frozenset({"authorization_code", "implicit"})
KNOWN_GRANTS = (
    "client_credentials",
    "password",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "authorization_code",
    "implicit",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:grant-type:device_code",
    "iwa:ntlm",
    "urn:ietf:params:oauth:grant-type:saml2-bearer",
)
INTERNAL_KIND = "internal"
# A devportal application's client, created through the internal API.
APPLICATION_KIND = "application"
# Public, consent-free clients of this installation's own portals (APIM_FIRST_PARTY_CLIENTS).
FIRST_PARTY_KIND = "first-party"
FIRST_PARTY_GRANTS = ("authorization_code", "refresh_token")


@dataclass(frozen=True)
class ClientRecord:
    """What the token endpoint needs of a client, cached."""

    client_id: str
    tenant: str
    owner: str
    client_name: str
    grant_types: frozenset[str]
    saas: bool
    kind: str
    secret_hash: str
    # The owner's roles when the record was loaded; None for the internal client.
    owner_roles: tuple[str, ...] | None
    redirect_uris: tuple[str, ...] = ()
    # The ``x5t#S256`` of the certificate the client presented on this token request (mutual TLS),
    # set per request on a copy, never cached: the access tokens it gets are bound to it.
    certificate: str | None = None

    @property
    def subject(self) -> str:
        return f"{self.owner}@{self.tenant}"

    @property
    def is_internal(self) -> bool:
        return self.kind == INTERNAL_KIND

    @property
    def is_public(self) -> bool:
        """Has no secret: identified by its id alone, bound to its redirect URIs and PKCE."""
        return self.kind == FIRST_PARTY_KIND


class ClientService:
    def __init__(
        self, database: Database, secret_key: str, users: UserService, ttl: float, token_lifetime: int
    ) -> None:
        self._database = database
        self._mac_key = crypto.derive_key(secret_key, "client-secret-mac")
        self._box = crypto.fernet(secret_key, "client-secret-store")
        self._internal_secret = internal_client_secret(secret_key)
        self._users = users
        self._token_lifetime = token_lifetime
        self._cache: LoadingCache[str, ClientRecord] = LoadingCache(ttl)

    def _mac(self, secret: str) -> str:
        return hmac.new(self._mac_key, secret.encode(), hashlib.sha256).hexdigest()

    def secret_of(self, client: OAuthClient) -> str:
        return crypto.decrypt(self._box, client.secret_encrypted)

    def _set_secret(self, client: OAuthClient, secret: str) -> None:
        client.secret_hash = self._mac(secret)
        client.secret_encrypted = self._box.encrypt(secret.encode()).decode()

    def forget(self, client_id: str) -> None:
        self._cache.forget(client_id)

    async def create(
        self,
        session: AsyncSession,
        *,
        tenant: str,
        owner: str,
        client_name: str,
        grant_types: Sequence[str],
        callback_url: str = "",
        saas: bool = False,
        kind: str = "dcr",
        token_type: str = "JWT",  # noqa: S107  # a token format, not a secret
        client_id: str | None = None,
        client_secret: str | None = None,
        application_uuid: str | None = None,
    ) -> tuple[OAuthClient, str]:
        secret = client_secret or secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        client = OAuthClient(
            client_id=client_id or secrets.token_urlsafe(21),
            tenant=tenant,
            owner=owner,
            client_name=client_name,
            grant_types=list(dict.fromkeys(grant_types)),
            callback_url=callback_url,
            saas=saas,
            token_type=token_type,
            application_uuid=application_uuid or str(uuid.uuid4()),
            kind=kind,
            created_at=now,
            updated_at=now,
        )
        self._set_secret(client, secret)
        await ClientRepository(session).add(client)
        return client, secret

    async def get(self, session: AsyncSession, client_id: str) -> OAuthClient:
        client = await ClientRepository(session).get(client_id)
        if client is None:
            raise NotFound(f"OAuth client {client_id} not found")
        return client

    async def regenerate_secret(self, session: AsyncSession, client: OAuthClient) -> str:
        """A new secret; every token issued with the old one is revoked."""
        secret = secrets.token_urlsafe(24)
        self._set_secret(client, secret)
        client.updated_at = datetime.now(UTC)
        self.forget(client.client_id)
        await revoke_issued_before(
            session, tenant=client.tenant, lifetime=self._token_lifetime, client_id=client.client_id
        )
        return secret

    async def delete(self, session: AsyncSession, client: OAuthClient) -> None:
        self.forget(client.client_id)
        await revoke_issued_before(
            session, tenant=client.tenant, lifetime=self._token_lifetime, client_id=client.client_id
        )
        await ClientRepository(session).delete(client)

    async def ensure_internal(self, session: AsyncSession) -> None:
        """The service-to-service client, with the secret every service derives from APIM_SECRET_KEY."""
        client = await ClientRepository(session).get(INTERNAL_CLIENT_ID)
        if client is None:
            await self.create(
                session,
                tenant=DEFAULT_TENANT,
                owner=INTERNAL_CLIENT_ID,
                client_name=INTERNAL_CLIENT_ID,
                grant_types=["client_credentials"],
                kind=INTERNAL_KIND,
                client_id=INTERNAL_CLIENT_ID,
                client_secret=self._internal_secret,
            )
        elif client.secret_hash != self._mac(self._internal_secret):
            self._set_secret(client, self._internal_secret)  # APIM_SECRET_KEY was changed
        self.forget(INTERNAL_CLIENT_ID)

    async def ensure_first_party(
        self, session: AsyncSession, client_id: str, redirect_uris: Sequence[str]
    ) -> None:
        """A portal's public client, its redirect URIs as configured now (space-separated in the row)."""
        callback = " ".join(redirect_uris)
        client = await ClientRepository(session).get(client_id)
        if client is None:
            # The secret exists only because the column requires one; nobody ever learns it.
            await self.create(
                session,
                tenant=DEFAULT_TENANT,
                owner=client_id,
                client_name=client_id,
                grant_types=FIRST_PARTY_GRANTS,
                callback_url=callback,
                saas=True,
                kind=FIRST_PARTY_KIND,
                client_id=client_id,
            )
        elif client.kind != FIRST_PARTY_KIND:
            raise ValueError(f"client {client_id} exists and is not a first-party client")
        elif client.callback_url != callback or list(client.grant_types) != list(FIRST_PARTY_GRANTS):
            client.callback_url = callback
            client.grant_types = list(FIRST_PARTY_GRANTS)
            client.updated_at = datetime.now(UTC)
        self.forget(client_id)

    async def public(self, client_id: str) -> ClientRecord | None:
        """The record of a public client named without a secret, or None."""
        record = await self.record(client_id)
        return record if record is not None and record.is_public else None

    async def record(self, client_id: str) -> ClientRecord | None:
        return await self._cache.get(client_id, lambda: self._load(client_id))

    async def _load(self, client_id: str) -> ClientRecord | None:
        async with self._database.session() as session:
            client = await ClientRepository(session).get(client_id)
            if client is None:
                return None
            roles: tuple[str, ...] | None = None
            if client.kind not in (INTERNAL_KIND, FIRST_PARTY_KIND):
                owner = await UserRepository(session).by_name(client.tenant, client.owner)
                roles = tuple(await self._users.roles(session, owner)) if owner is not None else ()
        return ClientRecord(
            client_id=client.client_id,
            tenant=client.tenant,
            owner=client.owner,
            client_name=client.client_name,
            grant_types=frozenset(client.grant_types),
            saas=client.saas,
            kind=client.kind,
            secret_hash=client.secret_hash,
            owner_roles=roles,
            redirect_uris=tuple(client.callback_url.split()) if client.kind == FIRST_PARTY_KIND else (),
        )

    async def authenticate(self, client_id: str, secret: str) -> ClientRecord | None:
        record = await self.record(client_id)
        expected = record.secret_hash if record is not None else self._mac("")
        if not hmac.compare_digest(expected, self._mac(secret)) or record is None or record.is_public:
            return None
        return record
