"""Basic authentication of API calls (WSO2's ``basic_auth`` security scheme).

The key manager checks the username and password against its user store
(``POST {key manager}/api/am/keymanager/v1/internal/basic-auth``, with this gateway's service
token) and answers the user's roles and the scopes its role -> scope map gives them. The caller
also holds the API's own scopes bound to one of those roles (a scope bound to no role is open to
every user), so an operation's scopes are checked as for tokens (403 900910, ``request/authorize.py``).

Successful checks are cached for ``CACHE_TTL`` seconds, keyed by a keyed hash of the credentials
(never the password itself), at most ``CACHE_SIZE`` entries. Failures are not cached: the key
manager counts them and locks a name that keeps failing. Passwords are never logged.

Like WSO2, a Basic-authenticated call needs no subscription (there is no application): the call
is the user's, rate-limited by the API and resource tiers with the user as the key. The user must
belong to the API's tenant. Where an API lists several schemes (e.g. ``oauth2``, ``basic_auth``,
``api_key`` with ``oauth_basic_auth_api_key_mandatory``), a call passing any one of them is
accepted; ``oauth_basic_auth_api_key_mandatory`` says that one of them is required.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from apim_common.service_auth import ServiceTokenProvider
from apim_gateway.context import AuthContext, Headers
from apim_gateway.errors import INVALID_CREDENTIALS, UNCLASSIFIED, GatewayError
from apim_gateway.runtime.apis import CompiledApi

logger = logging.getLogger(__name__)

BASIC_AUTH = "basic_auth"
CHECK_PATH = "/api/am/keymanager/v1/internal/basic-auth"
CACHE_TTL = 60.0
CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class BasicUser:
    username: str
    tenant: str
    subject: str
    roles: frozenset[str]
    scopes: frozenset[str]


def basic_credentials(headers: Headers, header_name: str) -> tuple[str, str] | None:
    """``(username, password)`` of a ``Basic`` value in ``header_name``; None without one.

    A malformed value is invalid credentials (900901), not missing ones."""
    for name, value in headers:
        if name != header_name:
            continue
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise GatewayError(401, INVALID_CREDENTIALS, "Malformed Basic credentials") from exc
        username, colon, password = decoded.partition(":")
        if not colon or not username:
            raise GatewayError(401, INVALID_CREDENTIALS, "Malformed Basic credentials")
        return username, password
    return None


def api_scopes_for(api: CompiledApi, roles: Iterable[str]) -> frozenset[str]:
    """The API's scopes whose bindings hold one of ``roles`` (or that are bound to no role)."""
    held = set(roles)
    granted: set[str] = set()
    for entry in api.artifact.get("scopes") or ():
        if not isinstance(entry, Mapping):
            continue
        inner = entry.get("scope")
        scope: Mapping[str, Any] = inner if isinstance(inner, Mapping) else entry
        name = scope.get("name")
        if not name:
            continue
        bindings = {str(b) for b in scope.get("bindings") or ()}
        if not bindings or bindings & held:
            granted.add(str(name))
    return frozenset(granted)


class BasicAuthenticator:
    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: ServiceTokenProvider,
        key_manager_url: str,
        *,
        ttl: float = CACHE_TTL,
        size: int = CACHE_SIZE,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._url = key_manager_url.rstrip("/") + CHECK_PATH
        self._ttl = ttl
        self._size = size
        self._cache: dict[bytes, tuple[float, BasicUser]] = {}
        # Cache keys are keyed hashes: the cache holds nothing a password can be guessed from offline.
        self._salt = os.urandom(32)
        self.checks = 0

    def _key(self, tenant: str, username: str, password: str) -> bytes:
        message = "\0".join((tenant, username, password)).encode()
        return hmac.new(self._salt, message, hashlib.sha256).digest()

    async def verify(self, tenant: str, username: str, password: str, client_ip: str = "") -> BasicUser:
        """The user these credentials name in ``tenant``, or ``GatewayError`` 900901 / 900900.

        ``client_ip`` is the caller's address: the key manager counts failures per address too."""
        key = self._key(tenant, username, password)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None:
            if cached[0] > now:
                return cached[1]
            del self._cache[key]
        user = await self._check(tenant, username, password, client_ip)
        if len(self._cache) >= self._size:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= self._size:
                self._cache.clear()
        self._cache[key] = (now + self._ttl, user)
        return user

    async def _check(self, tenant: str, username: str, password: str, client_ip: str) -> BasicUser:
        self.checks += 1
        request = {"username": username, "password": password, "tenant": tenant}
        if client_ip:
            request["clientAddress"] = client_ip
        try:
            response = await self._http.post(
                self._url,
                json=request,
                headers=await self._tokens.headers(),
            )
        except httpx.HTTPError as exc:
            logger.warning("the key manager cannot check Basic credentials: %s", type(exc).__name__)
            raise GatewayError(500, UNCLASSIFIED, "The user store cannot be reached") from exc
        if response.status_code == 429:
            raise GatewayError(
                401, INVALID_CREDENTIALS, "Too many failed attempts for this user; try again later"
            )
        if response.status_code != 200:
            logger.warning("the key manager answered %s to a Basic credentials check", response.status_code)
            if response.status_code < 500:
                # Fail closed: a key manager that does not vouch for the user refuses the call.
                raise GatewayError(401, INVALID_CREDENTIALS, "The user store did not accept the credentials")
            raise GatewayError(500, UNCLASSIFIED, "The user store cannot check the credentials")
        body: dict[str, Any] = response.json()
        if not body.get("valid"):
            raise GatewayError(401, INVALID_CREDENTIALS, "Invalid username or password")
        user_tenant = str(body.get("tenant") or "")
        name = str(body.get("username") or username)
        return BasicUser(
            username=name,
            tenant=user_tenant,
            subject=str(body.get("subject") or f"{name}@{user_tenant}"),
            roles=frozenset(str(r) for r in body.get("roles") or ()),
            scopes=frozenset(str(s) for s in body.get("scopes") or ()),
        )


async def authenticate(
    authenticator: BasicAuthenticator,
    api: CompiledApi,
    headers: Headers,
    auth: AuthContext,
    client_ip: str = "",
) -> Headers | None:
    """Fills ``auth`` from Basic credentials and answers the headers without them; None when the
    call carries no Basic credentials. Raises 401 900901 on wrong ones."""
    header_name = api.authorization_header
    credentials = basic_credentials(headers, header_name)
    if credentials is None:
        return None
    user = await authenticator.verify(api.tenant, *credentials, client_ip)
    if user.tenant != api.tenant:
        raise GatewayError(401, INVALID_CREDENTIALS, "The user does not belong to the API's tenant")
    scopes = user.scopes | api_scopes_for(api, user.roles)
    auth.auth_type = BASIC_AUTH
    auth.subscriber = user.subject
    auth.tenant = user.tenant
    auth.scopes = scopes
    auth.claims = {"sub": user.subject, "tenant": user.tenant, "roles": sorted(user.roles)}
    return [(k, v) for k, v in headers if k != header_name]
