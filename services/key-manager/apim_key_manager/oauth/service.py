"""The grants of /oauth2/token, introspection and revocation, without storing any token.

An access token is an RS256 or ES256 JWT, as its tenant's resident key manager chooses (see
docs/contracts.md for its claims). A refresh token is an HS256 JWT only this service can check; it
carries the subject, client, tenant and granted scopes needed to mint the next pair, and the jti of
the access token issued with it. Using it revokes it and that access token.

The pair a refresh token's one use mints has jtis derived from its jti (HMAC under a key from
APIM_SECRET_KEY), so presenting a used refresh token again revokes everything its first use led
to, generation after generation, with no issued token stored (RFC 9700 4.14.2).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.certificate_binding import (
    CNF,
    X5T_S256,
    ForwardedCertificate,
    peer_thumbprint,
    thumbprint_of_hex,
)
from apim_common.db import Database
from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.security import INTERNAL_SCOPE
from apim_key_manager.authorize.repository import AuthorizationCodeRepository
from apim_key_manager.authorize.service import hash_code, s256
from apim_key_manager.clients.service import ClientRecord, ClientService
from apim_key_manager.keys import crypto
from apim_key_manager.keys.service import KeyRing, KeyService
from apim_key_manager.oauth.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
    invalid_client,
)
from apim_key_manager.revocation.repository import RevocationRepository
from apim_key_manager.revocation.service import is_revoked, revoke_issued_before, revoke_token, settle
from apim_key_manager.scopes.defaults import ADMIN
from apim_key_manager.scopes.service import ScopePolicy
from apim_key_manager.settings import Settings
from apim_key_manager.tenants.repository import TenantRepository
from apim_key_manager.users.models import User
from apim_key_manager.users.repository import UserRepository
from apim_key_manager.users.service import UserService, resolve_login, subject_of

CLIENT_CREDENTIALS = "client_credentials"
PASSWORD = "password"
REFRESH_TOKEN = "refresh_token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUTHORIZATION_CODE = "authorization_code"
REFRESH_TYP = "refresh"
# Generations of a refresh-token family revoked one by one on a replay; a longer family (a client
# refreshing every minute for a whole refresh-token lifetime) loses every token of its user instead.
MAX_FAMILY_WALK = 2000
# The version (4) and variant bits of a random UUID, as ``uuid.uuid4().hex`` sets them.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_jti() -> str:
    """A token's ``jti``: a random UUID's 32 hex digits, as ``uuid.uuid4().hex`` gives, without
    building a ``UUID`` object per token."""
    return "%032x" % (int.from_bytes(os.urandom(16)) & _UUID4_CLEAR | _UUID4_SET)


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    scope: str
    expires_in: int
    refresh_token: str | None = None
    # What a later revocation of this issue needs (a replayed authorization code).
    access_jti: str | None = None
    refresh_jti: str | None = None
    issued_at: int = 0

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "scope": self.scope,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


@dataclass(frozen=True)
class Introspector:
    """Who asks /oauth2/introspect: a client, or a user by Basic credentials (as WSO2 allows)."""

    tenant: str
    roles: tuple[str, ...] = ()
    client_id: str | None = None
    # The platform's own services (the internal client): resource servers of every tenant.
    resource_server: bool = False

    @classmethod
    def of_client(cls, client: ClientRecord) -> Introspector:
        return cls(client.tenant, client.owner_roles or (), client.client_id, client.is_internal)


class TokenService:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        keys: KeyService,
        clients: ClientService,
        users: UserService,
        scopes: ScopePolicy,
        on_revoked: Callable[[], None] = lambda: None,
    ) -> None:
        # Wakes the outbox relay, so gateways hear of a revocation at once.
        self._on_revoked = on_revoked
        self._settings = settings
        self._database = database
        self._keys = keys
        self.clients = clients
        self.users = users
        self.scopes = scopes
        self._issuer = settings.token_issuer
        self._trusted = {
            iss: crypto.published(crypto.load_public_pem(pem))
            for iss, pem in settings.jwt_bearer_issuers.items()
        }
        self._family_key = crypto.derive_key(settings.secret(), "refresh-token-family")
        self._forwarded_certificate = ForwardedCertificate.of(
            settings.token_client_cert_header,
            settings.token_client_cert_format,
            settings.token_trusted_proxies,
        )

    def presented_certificate(
        self, scope: Mapping[str, Any], headers: Mapping[str, str], client_ip: str
    ) -> str | None:
        """The ``x5t#S256`` a token request's access tokens are bound to (RFC 8705): the TLS
        peer's certificate, else the one a trusted terminator forwards; None when binding is off."""
        if not self._settings.certificate_bound_tokens:
            return None
        peer = peer_thumbprint(scope)
        if peer is not None:
            return peer
        reader = self._forwarded_certificate
        fingerprint = reader.read(headers.get(reader.header), client_ip)
        return thumbprint_of_hex(fingerprint) if fingerprint is not None else None

    @property
    def ring(self) -> KeyRing:
        assert self._keys.ring is not None  # loaded on start
        return self._keys.ring

    # Minting

    def _access(
        self,
        client: ClientRecord,
        subject: str,
        tenant: str,
        scopes: Sequence[str],
        roles: Sequence[str] | None,
        *,
        jti: str | None = None,
    ) -> tuple[str, str, int]:
        now = int(time.time())
        jti = jti or new_jti()
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "sub": subject,
            "aud": client.client_id,
            "azp": client.client_id,
            "scope": " ".join(scopes),
            "tenant": tenant,
            "iat": now,
            "nbf": now,
            "exp": now + self._settings.access_token_ttl,
            "jti": jti,
            "token_type": "Bearer",
        }
        if roles is not None:
            claims["roles"] = list(roles)
        if client.certificate is not None:
            claims[CNF] = {X5T_S256: client.certificate}
        return self.ring.access_signer(tenant).sign(claims), jti, now

    def _pair(
        self,
        client: ClientRecord,
        subject: str,
        tenant: str,
        scopes: Sequence[str],
        roles: Sequence[str] | None,
        *,
        heirs: tuple[str, str] | None = None,
    ) -> IssuedTokens:
        """An access token, and a refresh token if the client may refresh; ``heirs`` fixes their jtis."""
        access_jti, refresh_jti_of_heir = heirs if heirs is not None else (None, None)
        access, jti, now = self._access(client, subject, tenant, scopes, roles, jti=access_jti)
        refresh: str | None = None
        refresh_jti: str | None = None
        if REFRESH_TOKEN in client.grant_types:
            refresh_jti = refresh_jti_of_heir or new_jti()
            refresh = self.ring.refresh.sign(
                {
                    "typ": REFRESH_TYP,
                    "iss": self._issuer,
                    "sub": subject,
                    "azp": client.client_id,
                    "tenant": tenant,
                    "scope": " ".join(scopes),
                    "iat": now,
                    "exp": now + self._settings.refresh_token_ttl,
                    "jti": refresh_jti,
                    "ati": jti,
                    "atexp": now + self._settings.access_token_ttl,
                }
            )
        return IssuedTokens(
            access, " ".join(scopes), self._settings.access_token_ttl, refresh, jti, refresh_jti, now
        )

    # Grants

    @staticmethod
    def _allow(client: ClientRecord, grant: str) -> None:
        if grant not in client.grant_types:
            raise UnauthorizedClientError(description=f"The client may not use the {grant} grant")

    async def client_credentials(self, client: ClientRecord, requested: Sequence[str]) -> IssuedTokens:
        self._allow(client, CLIENT_CREDENTIALS)
        await self._keys.current()  # other replicas' key rotations and tenants' algorithms
        # carbon.super is never inactive: its tokens open no session at all.
        if client.tenant != DEFAULT_TENANT:
            async with self._database.session() as session:
                if await TenantRepository(session).is_inactive(client.tenant):
                    raise invalid_client(f"The tenant {client.tenant} is inactive")
        if client.is_internal:
            access, _, _ = self._access(client, client.subject, client.tenant, [INTERNAL_SCOPE], None)
            return IssuedTokens(access, INTERNAL_SCOPE, self._settings.access_token_ttl)
        roles = client.owner_roles or ()
        scope_map = await self.scopes.map_for(client.tenant)
        granted = scope_map.grant(requested, roles)
        access, _, _ = self._access(client, client.subject, client.tenant, granted, roles)
        return IssuedTokens(access, " ".join(granted), self._settings.access_token_ttl)

    async def _for_user(
        self,
        session: AsyncSession,
        client: ClientRecord,
        user: User,
        requested: Sequence[str],
        *,
        heirs: tuple[str, str] | None = None,
    ) -> IssuedTokens:
        if user.tenant != client.tenant and not client.saas:
            # WSO2: only a SaaS application serves users of other tenants.
            raise InvalidGrantError(description="The user does not belong to the client's tenant")
        # Every grant for a user comes here: an inactive tenant's users get no tokens.
        if await TenantRepository(session).is_inactive(user.tenant):
            raise InvalidGrantError(description=f"The tenant {user.tenant} is inactive")
        roles = await self.users.roles(session, user)
        granted = (await self.scopes.map_for(user.tenant)).grant(requested, roles)
        await self._keys.current()
        return self._pair(client, subject_of(user), user.tenant, granted, roles, heirs=heirs)

    async def password(
        self, client: ClientRecord, username: str | None, password: str | None, requested: Sequence[str]
    ) -> IssuedTokens:
        self._allow(client, PASSWORD)
        if not username or password is None:
            raise InvalidRequestError(description="username and password are required")
        # Committed: a sign-in may replace the user's password hash (UserService.upgrade_hash).
        async with self._database.session() as session, session.begin():
            user = await self.users.authenticate(session, username, password)
            if user is None:
                raise InvalidGrantError(description="Authentication failed for " + username)
            return await self._for_user(session, client, user, requested)

    async def authorization_code(
        self, client: ClientRecord, code: str | None, redirect_uri: str | None, verifier: str | None
    ) -> IssuedTokens:
        """RFC 6749 4.1.3 with RFC 7636: one redemption per code; a replay revokes what it gave."""
        self._allow(client, AUTHORIZATION_CODE)
        if not code:
            raise InvalidRequestError(description="code is required")
        now = int(time.time())
        failure: str | None = None
        issued: IssuedTokens | None = None
        async with self._database.session() as session, session.begin():
            codes = AuthorizationCodeRepository(session)
            row = await codes.get(hash_code(code))
            if row is None or row.client_id != client.client_id:
                failure = "The authorization code is not valid"
            elif not await codes.claim(row.code_hash, now):
                failure = "The authorization code has already been used"
                for jti, exp in ((row.access_jti, row.access_exp), (row.refresh_jti, row.refresh_exp)):
                    if jti and exp and exp > now:
                        await revoke_token(session, jti, exp, row.tenant)
                if row.refresh_jti:
                    # Its refresh token may have been used already: what that led to goes as well.
                    owner = await UserRepository(session).get(row.user_id)
                    subject = subject_of(owner) if owner is not None else None
                    await self._revoke_family(session, row.refresh_jti, subject, row.tenant)
                    await settle(session)
            elif row.expires_at <= now:
                failure = "The authorization code has expired"
            elif redirect_uri != row.redirect_uri:
                failure = "redirect_uri does not match the authorization request"
            elif row.code_challenge and not (
                verifier and hmac.compare_digest(s256(verifier), row.code_challenge)
            ):
                failure = "The code_verifier does not match the code_challenge"
            else:
                user = await UserRepository(session).get(row.user_id)
                if user is None or not user.active:
                    failure = "The user who signed in no longer exists"
                else:
                    issued = await self._for_user(session, client, user, row.scope.split())
                    row.access_jti, row.access_exp = issued.access_jti, issued.issued_at + issued.expires_in
                    if issued.refresh_jti is not None:
                        row.refresh_jti = issued.refresh_jti
                        row.refresh_exp = issued.issued_at + self._settings.refresh_token_ttl
        if issued is None:
            self._wake_relay()
            raise InvalidGrantError(description=failure)
        return issued

    async def refresh(
        self, client: ClientRecord, token: str | None, requested: Sequence[str]
    ) -> IssuedTokens:
        self._allow(client, REFRESH_TOKEN)
        if not token:
            raise InvalidRequestError(description="refresh_token is required")
        try:
            claims = self.ring.refresh.verify(token)
        except crypto.BadToken as exc:
            raise InvalidGrantError(description="Invalid refresh token") from exc
        if claims.get("typ") != REFRESH_TYP or claims.get("azp") != client.client_id:
            raise InvalidGrantError(description="The refresh token was not issued to this client")
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= time.time():
            raise InvalidGrantError(description="The refresh token has expired")
        original = str(claims.get("scope", "")).split()
        if requested and not set(requested) <= set(original):
            raise InvalidGrantError(description="The requested scope exceeds the original grant")
        jti, subject = str(claims.get("jti", "")), str(claims.get("sub", ""))
        tenant = str(claims.get("tenant") or DEFAULT_TENANT)
        failure: str | None = None
        issued: IssuedTokens | None = None
        try:
            async with self._database.session() as session, session.begin():
                if jti and await RevocationRepository(session).jti_revoked(jti):
                    # Used (or revoked) before: whoever holds it now may hold a copy stolen from the
                    # rightful client, so nothing minted from it stays valid.
                    await self._revoke_family(session, jti, subject, tenant)
                    failure = "The refresh token has already been used"
                elif await is_revoked(session, claims):
                    failure = "The refresh token is no longer valid"
                else:
                    username, user_tenant = subject.rpartition("@")[::2]
                    user = await self.users.find(session, f"{username}@{user_tenant}")
                    if user is None or not user.active:
                        failure = "The token's user no longer exists"
                    else:
                        await revoke_token(session, jti, exp, user.tenant)
                        ati, atexp = claims.get("ati"), claims.get("atexp")
                        if isinstance(ati, str) and isinstance(atexp, int) and atexp > time.time():
                            await revoke_token(session, ati, atexp, user.tenant)
                        issued = await self._for_user(
                            session, client, user, requested or original, heirs=self._heirs(jti)
                        )
                await settle(session)
        except IntegrityError:
            # Two requests used the token at once and the other one won: a replay as well. Its
            # pair has the jtis derived from this token, so it is revoked with the rest.
            for _ in range(3):  # each try sees what concurrent replays committed meanwhile
                with contextlib.suppress(IntegrityError):
                    async with self._database.session() as session, session.begin():
                        await self._revoke_family(session, jti, subject, tenant)
                        await settle(session)
                    break
            issued, failure = None, "The refresh token has already been used"
        self._wake_relay()
        if issued is None:
            raise InvalidGrantError(description=failure)
        return issued

    def _heirs(self, refresh_jti: str) -> tuple[str, str]:
        """The jtis of the access and refresh tokens the one use of refresh token ``refresh_jti`` mints."""
        mac = hmac.new(self._family_key, refresh_jti.encode(), hashlib.sha256).hexdigest()
        return mac[:32], mac[32:]

    async def _revoke_family(self, session: AsyncSession, jti: str, subject: str | None, tenant: str) -> None:
        """Revoke what the first use of refresh token ``jti`` minted, and what those minted, down to
        the refresh token not used yet (revoking jtis of tokens never minted costs two rows)."""
        now = int(time.time())
        access_exp = now + self._settings.access_token_ttl
        refresh_exp = now + self._settings.refresh_token_ttl
        for _ in range(MAX_FAMILY_WALK):
            access_jti, refresh_jti = self._heirs(jti)
            await revoke_token(session, access_jti, access_exp, tenant)
            if await revoke_token(session, refresh_jti, refresh_exp, tenant):
                return
            jti = refresh_jti
        if subject:
            await revoke_issued_before(
                session, tenant=tenant, lifetime=self._settings.refresh_token_ttl, subject=subject
            )

    async def jwt_bearer(
        self, client: ClientRecord, assertion: str | None, requested: Sequence[str]
    ) -> IssuedTokens:
        """RFC 7523. An assertion of a configured external issuer stands for its subject; one of our
        own access tokens only re-issues what it already holds, to the client it was issued to."""
        self._allow(client, JWT_BEARER)
        if not assertion:
            raise InvalidRequestError(description="assertion is required")
        claims, external = self._verify_assertion(client, assertion)
        if not external:
            held = str(claims.get("scope", "")).split()
            if not set(requested) <= set(held):
                raise InvalidScopeError(description="The requested scope exceeds the assertion's scope")
            requested = requested or held
        async with self._database.session() as session:
            if not external and await is_revoked(session, claims):
                raise InvalidGrantError(description="The assertion has been revoked")
            username, tenant = await resolve_login(session, str(claims.get("sub", "")))
            user = await self.users.find(session, f"{username}@{tenant}")
            if user is None or not user.active:
                raise InvalidGrantError(description="The assertion's subject is not a known user")
            return await self._for_user(session, client, user, requested)

    def _verify_assertion(self, client: ClientRecord, assertion: str) -> tuple[dict[str, Any], bool]:
        """The claims of an unexpired assertion with a subject, and whether its issuer is external.

        An external assertion must come from a configured issuer and name this server in ``aud``.
        One of ours must be an access token (checked with the access-token keys only, so an API
        key never passes) whose ``aud`` is the client asking.
        """
        try:
            header, unverified = crypto.unverified_claims(assertion)
            issuer = unverified.get("iss")
            external = issuer != self._issuer
            if not external:
                keys = self.ring.access_keys
            elif isinstance(issuer, str) and issuer in self._trusted:
                keys = {str(header.get("kid")): self._trusted[issuer]}
            else:
                raise InvalidGrantError(description="The assertion's issuer is not trusted")
            _, claims = crypto.verify(assertion, keys)
        except crypto.BadToken as exc:
            raise InvalidGrantError(description=f"Invalid assertion: {exc}") from exc
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if external and self._issuer not in audiences:
            raise InvalidGrantError(description="The assertion is not meant for this server")
        if not external:
            if claims.get("token_type") != "Bearer" or claims.get("typ") is not None:
                raise InvalidGrantError(description="Only an access token of ours is an assertion")
            if client.client_id not in audiences:
                raise InvalidGrantError(description="The assertion was issued to another client")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= time.time():
            raise InvalidGrantError(description="The assertion has expired")
        if not claims.get("sub"):
            raise InvalidGrantError(description="The assertion has no subject")
        return claims, external

    # Introspection and revocation

    def read(self, token: str) -> dict[str, Any] | None:
        """The claims of a token we issued (access token, refresh token or API key), or None."""
        try:
            _, claims = crypto.verify(token, self.ring.public_keys)
            return claims
        except crypto.BadToken:
            pass
        try:
            claims = self.ring.refresh.verify(token)
        except crypto.BadToken:
            return None
        return claims if claims.get("typ") == REFRESH_TYP else None

    async def introspect(self, token: str, caller: Introspector) -> dict[str, Any]:
        """RFC 7662; a token ``caller`` may not look at reads inactive, as one it does not know."""
        claims = self.read(token)
        if claims is None or not await self._may_introspect(caller, claims):
            return {"active": False}
        exp = claims.get("exp")
        if isinstance(exp, int | float) and exp <= time.time():
            return {"active": False}
        async with self._database.session() as session:
            if await is_revoked(session, claims):
                return {"active": False}
        subject = str(claims.get("sub", ""))
        body: dict[str, Any] = {
            "active": True,
            "token_type": "Refresh" if claims.get("typ") == REFRESH_TYP else "Bearer",
            "client_id": claims.get("azp"),
            "username": subject,
            "sub": subject,
            "scope": claims.get("scope", ""),
            "iss": claims.get("iss"),
            "iat": claims.get("iat"),
            "exp": exp,
            "jti": claims.get("jti"),
        }
        if "aud" in claims:
            body["aud"] = claims["aud"]
        if "nbf" in claims:
            body["nbf"] = claims["nbf"]
        if isinstance(claims.get(CNF), dict):  # RFC 8705 3.2: the resource server checks the binding
            body[CNF] = claims[CNF]
        return {k: v for k, v in body.items() if v is not None}

    async def _may_introspect(self, caller: Introspector, claims: dict[str, Any]) -> bool:
        """The token's own client, the platform's services, and the admins of the token's tenant."""
        if caller.resource_server:
            return True
        if caller.client_id is not None and caller.client_id == claims.get("azp"):
            return True
        tenant = str(claims.get("tenant") or DEFAULT_TENANT)
        if caller.tenant != tenant:
            return False
        return ADMIN in (await self.scopes.map_for(tenant)).expand(caller.roles)

    async def revoke(self, client: ClientRecord, token: str) -> None:
        """RFC 7009: revoke a token issued to ``client``; anything else is ignored (still 200)."""
        claims = self.read(token)
        if claims is None or claims.get("azp") != client.client_id:
            return
        jti, exp = claims.get("jti"), claims.get("exp")
        if not isinstance(jti, str) or not isinstance(exp, int) or exp <= time.time():
            return
        async with self._database.session() as session, session.begin():
            await revoke_token(session, jti, exp, str(claims.get("tenant") or client.tenant))
        self._wake_relay()

    def _wake_relay(self) -> None:
        self._on_revoked()
