"""Authorize: the operation's scopes against the caller's (403 900910)."""

from __future__ import annotations

from apim_gateway.context import AuthContext
from apim_gateway.errors import SCOPE_NOT_ALLOWED, GatewayError
from apim_gateway.runtime.apis import Operation
from apim_gateway.security.basic_auth import BASIC_AUTH


def authorize(op: Operation, auth: AuthContext) -> None:
    """A token's scopes, or those a Basic user's roles grant, must hold one of the operation's."""
    if op.scopes and not (op.scopes & auth.scopes):
        holder = "The user's roles do not" if auth.auth_type == BASIC_AUTH else "The access token does not"
        raise GatewayError(
            403,
            SCOPE_NOT_ALLOWED,
            f"{holder} allow you to access the requested resource "
            f"(needs one of: {', '.join(sorted(op.scopes))})",
        )
