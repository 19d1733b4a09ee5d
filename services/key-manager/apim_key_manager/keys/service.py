"""Signing keys: created on first start, loaded once per process, rotated on demand."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import Database
from apim_key_manager.keys import crypto
from apim_key_manager.keys.models import SigningKey
from apim_key_manager.keys.repository import SigningKeyRepository
from apim_key_manager.settings import Settings

ACCESS = "access"
API_KEY = "api-key"
PURPOSES = (ACCESS, API_KEY)


@dataclass
class KeyRing:
    """What the process signs with and what it publishes, cached in the app state."""

    signers: dict[str, crypto.RS256Signer]
    # Every published key (access tokens and API keys), by kid.
    public_keys: dict[str, rsa.RSAPublicKey]
    jwks: list[dict[str, Any]]
    refresh: crypto.HS256Codec
    # The published keys of access tokens alone: what a grant may trust, never an API key's key.
    access_keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.monotonic)

    def jwks_document(self) -> dict[str, Any]:
        return {"keys": list(self.jwks)}


class KeyService:
    def __init__(self, database: Database, settings: Settings) -> None:
        self._database = database
        self._settings = settings
        self._box = crypto.fernet(settings.secret(), "signing-keys")
        self._lock = asyncio.Lock()
        self.ring: KeyRing | None = None

    async def _create(self, session: AsyncSession, purpose: str) -> SigningKey:
        key = await asyncio.to_thread(crypto.generate_rsa, self._settings.rsa_key_size)
        kid = crypto.new_kid()
        row = SigningKey(
            kid=kid,
            purpose=purpose,
            algorithm="RS256",
            public_jwk=crypto.public_jwk(key, kid),
            private_key=self._box.encrypt(crypto.private_pem(key).encode()).decode(),
            created_at=datetime.now(UTC),
        )
        return await SigningKeyRepository(session).add(row)

    async def ensure(self) -> KeyRing:
        """Create the keys missing on first start, then load them all."""
        async with self._database.session() as session, session.begin():
            repo = SigningKeyRepository(session)
            for purpose in PURPOSES:
                if await repo.active(purpose) is None:
                    await self._create(session, purpose)
        return await self.reload()

    async def reload(self) -> KeyRing:
        async with self._lock, self._database.session() as session:
            repo = SigningKeyRepository(session)
            signers: dict[str, crypto.RS256Signer] = {}
            for purpose in PURPOSES:
                row = await repo.active(purpose)
                if row is None:
                    raise RuntimeError(f"no {purpose} signing key; run ensure() first")
                private = crypto.load_private_pem(crypto.decrypt(self._box, row.private_key))
                signers[purpose] = crypto.RS256Signer(row.kid, private)
            published = await repo.published(int(time.time()))
            public_keys = {row.kid: crypto.public_key_from_jwk(row.public_jwk) for row in published}
            ring = KeyRing(
                signers=signers,
                public_keys=public_keys,
                jwks=[row.public_jwk for row in published],
                refresh=crypto.HS256Codec(crypto.derive_key(self._settings.secret(), "refresh-tokens")),
                access_keys={row.kid: public_keys[row.kid] for row in published if row.purpose == ACCESS},
            )
            self.ring = ring
            return ring

    async def current(self) -> KeyRing:
        """The ring, re-read when older than ``cache_ttl``: other replicas' rotations show up."""
        ring = self.ring
        if ring is None or time.monotonic() - ring.loaded_at > self._settings.cache_ttl:
            ring = await self.reload()
        return ring

    async def rotate(self, purpose: str = ACCESS) -> str:
        """A new key signs from now on; the old one stays published until its tokens expire."""
        grace = max(self._settings.retired_key_grace, self._settings.access_token_ttl)
        if purpose == API_KEY:
            grace = max(grace, 10 * 365 * 86400)  # API keys may live for years
        async with self._database.session() as session, session.begin():
            repo = SigningKeyRepository(session)
            current = await repo.active(purpose)
            new = await self._create(session, purpose)
            if current is not None:
                current.retired_at = datetime.now(UTC)
                current.publish_until = int(time.time()) + grace
        await self.reload()
        return new.kid
