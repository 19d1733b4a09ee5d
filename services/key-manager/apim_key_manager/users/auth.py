"""Who calls the user-facing endpoints: Basic credentials of a user, or a bearer token."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import Unauthorized
from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.jwt import InvalidToken, JWKSVerifier
from apim_common.security import Principal
from apim_key_manager.context import KeyManager
from apim_key_manager.revocation.service import is_revoked
from apim_key_manager.scopes.defaults import ADMIN
from apim_key_manager.users.models import User

CHALLENGE = {"WWW-Authenticate": 'Basic realm="apim"'}


@dataclass(frozen=True)
class Caller:
    username: str
    tenant: str
    roles: frozenset[str]
    scopes: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles or "apim:admin" in self.scopes

    @property
    def is_super_admin(self) -> bool:
        return self.is_admin and self.tenant == DEFAULT_TENANT


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("Malformed Basic credentials", headers=CHALLENGE) from exc
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise Unauthorized("Malformed Basic credentials", headers=CHALLENGE)
    return username, password


async def basic_user(km: KeyManager, session: AsyncSession, request: Request) -> tuple[User, Caller] | None:
    """The user whose Basic credentials the request carries; None without Basic credentials."""
    credentials = basic_credentials(request)
    if credentials is None:
        return None
    user = await km.users.authenticate(session, *credentials)
    if user is None:
        raise Unauthorized("Invalid username or password", headers=CHALLENGE)
    roles = frozenset(await km.users.roles(session, user))
    return user, Caller(user.username, user.tenant, roles)


async def bearer_caller(request: Request, session: AsyncSession) -> Caller | None:
    """The caller a bearer token of ours names; its scopes, not its roles, say what it may do."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    verifier: JWKSVerifier = request.app.state.token_verifier
    try:
        claims = await verifier.verify(token.strip())
    except InvalidToken as exc:
        raise Unauthorized("Invalid or expired access token", message="Invalid Credentials") from exc
    if await is_revoked(session, claims):
        raise Unauthorized("Access token has been revoked", message="Invalid Credentials")
    principal = Principal.from_claims(claims)
    username = principal.username.removesuffix(f"@{principal.tenant}")
    return Caller(username, principal.tenant, frozenset(), principal.scopes)


async def caller(km: KeyManager, session: AsyncSession, request: Request) -> Caller:
    found = await basic_user(km, session, request)
    if found is not None:
        return found[1]
    bearer = await bearer_caller(request, session)
    if bearer is None:
        raise Unauthorized("Authentication is required", headers=CHALLENGE)
    return bearer
