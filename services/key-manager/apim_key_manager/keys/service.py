"""Signing keys: created on first start, loaded once per process, rotated on demand.

Access tokens have one active key per algorithm of ``crypto.ALGORITHMS`` (RS256 and ES256, both
published), so a tenant's resident key manager can switch between them without a key change;
API keys are RS256.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import Database
from apim_common.events.envelope import CloudEvent
from apim_key_manager.keys import crypto
from apim_key_manager.keys.models import SigningKey
from apim_key_manager.keys.repository import SigningKeyRepository, TenantAlgorithmRepository
from apim_key_manager.settings import Settings

# What admin-api calls the key manager this service is, in each tenant.
RESIDENT_TYPE = "default"
KEY_MANAGER_WRITES = frozenset({"key-manager.created", "key-manager.updated"})

ACCESS = "access"
API_KEY = "api-key"
PURPOSES = (ACCESS, API_KEY)
# The active keys every replica keeps: (purpose, algorithm).
ACTIVE_KEYS = ((ACCESS, crypto.RS256), (ACCESS, crypto.ES256), (API_KEY, crypto.RS256))

# A published key: its algorithm and public key.
PublishedKey = tuple[str, crypto.PublicKey]


@dataclass
class KeyRing:
    """What the process signs with and what it publishes, cached in the app state."""

    # The RS256 signer of each purpose.
    signers: dict[str, crypto.Signer]
    # Every published key (access tokens and API keys), by kid.
    public_keys: dict[str, PublishedKey]
    jwks: list[dict[str, Any]]
    refresh: crypto.HS256Codec
    # The published keys of access tokens alone: what a grant may trust, never an API key's key.
    access_keys: dict[str, PublishedKey] = field(default_factory=dict)
    # The access-token signer of each algorithm.
    access_signers: dict[str, crypto.Signer] = field(default_factory=dict)
    # Tenants whose resident key manager signs with another algorithm than RS256.
    tenant_algorithms: dict[str, str] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.monotonic)

    def jwks_document(self) -> dict[str, Any]:
        return {"keys": list(self.jwks)}

    def access_signer(self, tenant: str) -> crypto.Signer:
        return self.access_signers[self.tenant_algorithms.get(tenant, crypto.RS256)]


async def apply_key_manager_event(session: AsyncSession, event: CloudEvent) -> None:
    """A tenant's resident key manager, created or changed in admin-api: its signing algorithm."""
    if event.type not in KEY_MANAGER_WRITES or event.data.get("type") != RESIDENT_TYPE:
        return
    if event.data.get("global"):
        return
    algorithm = str(event.data.get("signingAlgorithm") or crypto.RS256)
    if algorithm in crypto.ALGORITHMS:
        await TenantAlgorithmRepository(session).put(event.tenant, algorithm)


class KeyService:
    def __init__(self, database: Database, settings: Settings) -> None:
        self._database = database
        self._settings = settings
        self._box = crypto.fernet(settings.secret(), "signing-keys")
        self._lock = asyncio.Lock()
        self.ring: KeyRing | None = None
        # Keys already decrypted and parsed, by kid: a reload parses only new ones.
        self._loaded: dict[str, crypto.Signer] = {}
        self._public: dict[str, PublishedKey] = {}

    async def _create(self, session: AsyncSession, purpose: str, algorithm: str) -> SigningKey:
        key = await asyncio.to_thread(crypto.generate, algorithm, self._settings.rsa_key_size)
        kid = crypto.new_kid()
        row = SigningKey(
            kid=kid,
            purpose=purpose,
            algorithm=algorithm,
            public_jwk=crypto.public_jwk(key, kid, algorithm),
            private_key=self._box.encrypt(crypto.private_pem(key).encode()).decode(),
            created_at=datetime.now(UTC),
        )
        return await SigningKeyRepository(session).add(row)

    async def ensure(self) -> KeyRing:
        """Create the keys missing on first start, then load them all."""
        async with self._database.session() as session, session.begin():
            repo = SigningKeyRepository(session)
            for purpose, algorithm in ACTIVE_KEYS:
                if await repo.active(purpose, algorithm) is None:
                    await self._create(session, purpose, algorithm)
        return await self.reload()

    async def reload(self) -> KeyRing:
        async with self._lock:
            return await self._load()

    async def _load(self) -> KeyRing:
        async with self._database.session() as session:
            repo = SigningKeyRepository(session)
            signers: dict[tuple[str, str], crypto.Signer] = {}
            for purpose, algorithm in ACTIVE_KEYS:
                row = await repo.active(purpose, algorithm)
                if row is None:
                    raise RuntimeError(f"no {purpose} {algorithm} signing key; run ensure() first")
                signer = self._loaded.get(row.kid)
                if signer is None:
                    pem = crypto.decrypt(self._box, row.private_key)
                    signer = crypto.Signer(row.kid, crypto.load_private_pem(pem, algorithm), algorithm)
                signers[purpose, algorithm] = signer
            self._loaded = {signer.kid: signer for signer in signers.values()}
            published = await repo.published(int(time.time()))
            public_keys = {
                row.kid: self._public.get(row.kid)
                or (row.algorithm, crypto.public_key_from_jwk(row.public_jwk))
                for row in published
            }
            self._public = public_keys
            ring = KeyRing(
                signers={purpose: signers[purpose, crypto.RS256] for purpose in PURPOSES},
                public_keys=public_keys,
                jwks=[row.public_jwk for row in published],
                refresh=crypto.HS256Codec(crypto.derive_key(self._settings.secret(), "refresh-tokens")),
                access_keys={row.kid: public_keys[row.kid] for row in published if row.purpose == ACCESS},
                access_signers={
                    alg: signer for (purpose, alg), signer in signers.items() if purpose == ACCESS
                },
                tenant_algorithms=await TenantAlgorithmRepository(session).every_tenant(),
            )
            self.ring = ring
            return ring

    async def current(self) -> KeyRing:
        """The ring, re-read when older than ``cache_ttl``: other replicas' rotations show up."""
        ring = self.ring
        if ring is None or time.monotonic() - ring.loaded_at > self._settings.cache_ttl:
            async with self._lock:
                # Callers that queued behind one reload take its ring rather than reload again.
                ring = self.ring
                if ring is None or time.monotonic() - ring.loaded_at > self._settings.cache_ttl:
                    ring = await self._load()
        return ring

    async def rotate(self, purpose: str = ACCESS, algorithm: str = crypto.RS256) -> str:
        """A new key signs from now on; the old one stays published until its tokens expire."""
        grace = max(self._settings.retired_key_grace, self._settings.access_token_ttl)
        if purpose == API_KEY:
            grace = max(grace, 10 * 365 * 86400)  # API keys may live for years
        async with self._database.session() as session, session.begin():
            repo = SigningKeyRepository(session)
            current = await repo.active(purpose, algorithm)
            new = await self._create(session, purpose, algorithm)
            if current is not None:
                current.retired_at = datetime.now(UTC)
                current.publish_until = int(time.time()) + grace
        await self.reload()
        return new.kid
