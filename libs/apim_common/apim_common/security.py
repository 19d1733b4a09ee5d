"""Who is calling: bearer tokens from the key manager, checked on every control-plane endpoint.

An endpoint declares the scopes that allow it; as in WSO2, holding any one of them is enough.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict

from apim_common.errors import Forbidden, Unauthorized
from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.jwt import ExpiredToken, InvalidToken, JWKSVerifier

INTERNAL_SCOPE = "apim:internal"
TENANT_CLAIM = "tenant"


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    username: str
    tenant: str = DEFAULT_TENANT
    scopes: frozenset[str] = frozenset()
    client_id: str | None = None
    claims: dict[str, Any] = {}

    @property
    def is_service(self) -> bool:
        return INTERNAL_SCOPE in self.scopes

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        subject = str(claims.get("sub", ""))
        tenant = str(claims.get(TENANT_CLAIM) or DEFAULT_TENANT)
        username = subject.removesuffix(f"@{tenant}") if tenant == DEFAULT_TENANT else subject
        scope = claims.get("scope", "")
        scopes = scope.split() if isinstance(scope, str) else list(scope)
        return cls(
            username=username,
            tenant=tenant,
            scopes=frozenset(scopes),
            client_id=claims.get("azp") or claims.get("client_id"),
            claims=claims,
        )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Authorization header must be 'Bearer <token>'", message="Invalid Credentials", code=900901
        )
    return token.strip()


async def _principal_or_none(request: Request) -> Principal | None:
    token = _bearer(request)
    if token is None:
        return None
    verifier: JWKSVerifier = request.app.state.token_verifier
    try:
        claims = await verifier.verify(token)
    except ExpiredToken as exc:
        raise Unauthorized("Access token has expired", message="Invalid Credentials", code=900903) from exc
    except InvalidToken as exc:
        raise Unauthorized(str(exc), message="Invalid Credentials", code=900901) from exc
    # Revoked tokens, and tokens of an inactive tenant (apim_common.revocations): the check
    # answers why the token is refused (True: revoked), or nothing.
    check: Callable[[dict[str, Any]], Awaitable[bool | str | None]] | None = getattr(
        request.app.state, "token_revoked", None
    )
    refusal = await check(claims) if check is not None else None
    if refusal:
        reason = refusal if isinstance(refusal, str) else "Access token has been revoked"
        raise Unauthorized(reason, message="Invalid Credentials", code=900901)
    return Principal.from_claims(claims)


async def _principal(request: Request) -> Principal:
    principal = await _principal_or_none(request)
    if principal is None:
        raise Unauthorized("No access token was given", message="Missing Credentials", code=900902)
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(_principal_or_none)]
CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def require_scopes(*scopes: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting a caller that holds any one of ``scopes``."""
    allowed = frozenset(scopes)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.scopes & allowed:
            raise Forbidden(
                f"The access token does not allow this operation; one of these scopes is needed: "
                f"{', '.join(sorted(allowed))}",
                message="Insufficient scope",
                code=900910,
            )
        return principal

    dependency.required_scopes = allowed  # type: ignore[attr-defined]  # read by the route-scope tests
    return dependency


def Scoped(*scopes: str) -> Any:
    """``principal: Scoped("apim:api_view")`` in an endpoint's signature."""
    return Annotated[Principal, Depends(require_scopes(*scopes))]


InternalPrincipal = Annotated[Principal, Depends(require_scopes(INTERNAL_SCOPE))]
