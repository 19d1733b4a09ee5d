"""User passwords, hashed and checked off the event loop.

argon2id by default. In FIPS mode (``APIM_CRYPTO_PROVIDER=fips``), which does not approve argon2,
new hashes are PBKDF2-HMAC-SHA256 with 600,000 iterations (OWASP's figure for FIPS-140), stored as
``$pbkdf2-sha256$<iterations>$<salt>$<hash>``; an argon2 hash still verifies, once, and the
sign-in that verifies it stores a PBKDF2 hash instead (``needs_rehash``). Going back to the default
provider after that is unsupported (docs/decisions/0025-fips-mode.md).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from apim_common.crypto_policy import PBKDF2_ITERATIONS

PBKDF2_PREFIX = "$pbkdf2-sha256$"
_SALT_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def pbkdf2_hash(password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    salt = os.urandom(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{PBKDF2_PREFIX}{iterations}${_b64(salt)}${_b64(digest)}"


def pbkdf2_verify(stored: str, password: str) -> bool:
    try:
        iterations, salt, digest = stored.removeprefix(PBKDF2_PREFIX).split("$")
        expected = _unb64(digest)
        actual = hashlib.pbkdf2_hmac("sha256", password.encode(), _unb64(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(expected, actual)


def _iterations(stored: str) -> int:
    head = stored.removeprefix(PBKDF2_PREFIX).split("$", 1)[0]
    return int(head) if head.isdigit() else 0


class Passwords:
    def __init__(self, time_cost: int, memory_cost: int, *, fips: bool = False) -> None:
        self._fips = fips
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
        # What an unknown user's password is checked against: the same work as a known user's.
        self._dummy = self.hash_sync("no such user")

    def hash_sync(self, password: str) -> str:
        return pbkdf2_hash(password) if self._fips else self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hash_sync, password)

    def needs_rehash(self, stored: str) -> bool:
        """In FIPS mode, a hash that is not PBKDF2 at the current cost is replaced at sign-in."""
        if not self._fips:
            return False
        return not stored.startswith(PBKDF2_PREFIX) or _iterations(stored) < PBKDF2_ITERATIONS

    async def verify(self, stored: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        candidate = stored or self._dummy
        if candidate.startswith(PBKDF2_PREFIX):
            return pbkdf2_verify(candidate, password) and stored is not None
        try:
            return self._hasher.verify(candidate, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
