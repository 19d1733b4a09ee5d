"""The authorization endpoint's rules (RFC 6749 4.1 with RFC 7636 PKCE).

Only first-party clients (registered on start from ``APIM_FIRST_PARTY_CLIENTS``) may send a browser
here: they are public clients of this installation's own portals, so no consent is asked, and each
must prove its code with PKCE S256. Redirect URIs must match a registered one exactly. Errors found
before the redirect URI is trusted are shown to the user; later ones go back to the client.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from apim_key_manager.authorize.models import AuthorizationCode
from apim_key_manager.authorize.repository import AuthorizationCodeRepository
from apim_key_manager.clients.service import FIRST_PARTY_KIND, ClientService
from apim_key_manager.users.models import User

AUTHORIZATION_CODE = "authorization_code"
S256 = "S256"
_CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


class AuthorizeError(Exception):
    """A request that cannot be sent back to the client: shown to the user instead."""


@dataclass(frozen=True)
class RedirectError(Exception):
    """An error the client hears about on its redirect URI (RFC 6749 4.1.2.1)."""

    redirect_uri: str
    error: str
    description: str
    state: str | None

    def location(self) -> str:
        params = {"error": self.error, "error_description": self.description}
        if self.state is not None:
            params["state"] = self.state
        return _append(self.redirect_uri, params)


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    client_name: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str

    def fields(self) -> dict[str, str]:
        """What the login form carries back on POST."""
        fields = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "code_challenge": self.code_challenge,
            "code_challenge_method": S256,
        }
        if self.state is not None:
            fields["state"] = self.state
        return fields


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _append(uri: str, params: Mapping[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


class AuthorizationService:
    def __init__(self, clients: ClientService, code_ttl: int) -> None:
        self._clients = clients
        self._code_ttl = code_ttl

    async def validate(self, params: Mapping[str, str]) -> AuthorizationRequest:
        client_id = params.get("client_id", "")
        if not client_id:
            raise AuthorizeError("client_id is required")
        client = await self._clients.record(client_id)
        if client is None:
            raise AuthorizeError(f"Unknown client {client_id}")
        if client.kind != FIRST_PARTY_KIND or AUTHORIZATION_CODE not in client.grant_types:
            raise AuthorizeError(f"Client {client_id} may not sign users in here")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri and len(client.redirect_uris) == 1:
            redirect_uri = client.redirect_uris[0]
        if redirect_uri not in client.redirect_uris:
            raise AuthorizeError("redirect_uri is not registered for this client")
        state = params.get("state")

        def fail(error: str, description: str) -> RedirectError:
            return RedirectError(redirect_uri, error, description, state)

        if params.get("response_type") != "code":
            raise fail("unsupported_response_type", "Only response_type=code is supported")
        challenge = params.get("code_challenge", "")
        method = params.get("code_challenge_method", "plain" if challenge else "")
        if not challenge:
            raise fail("invalid_request", "PKCE is required: send code_challenge with method S256")
        if method != S256:
            raise fail("invalid_request", "code_challenge_method must be S256")
        if not _CHALLENGE.match(challenge):
            raise fail("invalid_request", "code_challenge is malformed")
        return AuthorizationRequest(
            client_id=client.client_id,
            client_name=client.client_name,
            redirect_uri=redirect_uri,
            scope=" ".join(params.get("scope", "").split()),
            state=state,
            code_challenge=challenge,
        )

    async def issue(self, session: AsyncSession, request: AuthorizationRequest, user: User) -> str:
        """Store a new code for ``user`` and answer where to send the browser with it."""
        code = secrets.token_urlsafe(32)
        await AuthorizationCodeRepository(session).add(
            AuthorizationCode(
                code_hash=hash_code(code),
                client_id=request.client_id,
                user_id=user.id,
                tenant=user.tenant,
                redirect_uri=request.redirect_uri,
                scope=request.scope,
                code_challenge=request.code_challenge,
                expires_at=int(time.time()) + self._code_ttl,
            )
        )
        params = {"code": code}
        if request.state is not None:
            params["state"] = request.state
        return _append(request.redirect_uri, params)
