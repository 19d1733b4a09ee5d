"""Internal: gateways check Basic credentials of API calls here (WSO2's ``basic_auth`` security scheme).

``POST /api/am/keymanager/v1/internal/basic-auth`` ``{username, password, tenant?}`` answers
``{valid, username, tenant, subject, roles, scopes}``: the user's roles (with the tenant's role
aliases applied) and the scopes of the tenant's role -> scope map those roles allow. ``tenant`` is
the tenant of the API being called: a name without a tenant domain is looked up there.

Wrong credentials answer ``{"valid": false}`` after the same argon2 work as right ones (an unknown
or inactive user is checked against a dummy hash), so the answer time does not tell whether a user
exists. After ``MAX_FAILURES`` failures for one name within ``WINDOW`` seconds the name is locked
for the rest of the window: 429 with ``Retry-After``, without checking the password. The count is
per replica: a modest brake on guessing, not an account lockout.
"""

from __future__ import annotations

import math
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.security import INTERNAL_SCOPE, InternalPrincipal
from apim_key_manager.context import KeyManagerDep
from apim_key_manager.db import SessionDep
from apim_key_manager.users.repository import UserRepository
from apim_key_manager.users.service import resolve_login

router = APIRouter(prefix="/api/am/keymanager/v1/internal/basic-auth", tags=["Internal: basic auth"])

MAX_FAILURES = 10
WINDOW = 60.0
_MAX_TRACKED = 10_000


class BasicAuthRequest(BaseModel):
    username: str = Field(min_length=1, max_length=512)
    password: str = Field(max_length=4096)
    tenant: str = DEFAULT_TENANT


class BasicAuthResult(BaseModel):
    valid: bool
    username: str | None = None
    tenant: str | None = None
    subject: str | None = None
    roles: list[str] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=list)


class FailedAttempts:
    """Failures per name in fixed windows; the oldest windows are dropped when too many are kept."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW) -> None:
        self.max_failures = max_failures
        self.window = window
        self._by_name: dict[str, tuple[float, int]] = {}

    def locked_for(self, name: str, now: float) -> float:
        """Seconds ``name`` stays locked; 0 when it may try."""
        entry = self._by_name.get(name)
        if entry is None:
            return 0.0
        started, failures = entry
        if now - started >= self.window:
            del self._by_name[name]
            return 0.0
        return self.window - (now - started) if failures >= self.max_failures else 0.0

    def failed(self, name: str, now: float) -> None:
        entry = self._by_name.get(name)
        if entry is None or now - entry[0] >= self.window:
            if len(self._by_name) >= _MAX_TRACKED:
                self._prune(now)
            self._by_name[name] = (now, 1)
        else:
            self._by_name[name] = (entry[0], entry[1] + 1)

    def succeeded(self, name: str) -> None:
        self._by_name.pop(name, None)

    def _prune(self, now: float) -> None:
        live = {k: v for k, v in self._by_name.items() if now - v[0] < self.window}
        if len(live) >= _MAX_TRACKED:
            # Keep the newer half: a flood of names must not grow memory without bound.
            live = dict(sorted(live.items(), key=lambda item: item[1][0])[len(live) // 2 :])
        self._by_name = live


def _attempts(request: Request) -> FailedAttempts:
    state = request.app.state
    attempts: FailedAttempts | None = getattr(state, "basic_auth_attempts", None)
    if attempts is None:
        attempts = state.basic_auth_attempts = FailedAttempts()
    return attempts


@router.post("", summary="Check a user's Basic credentials for a gateway", response_model=BasicAuthResult)
async def check(
    body: BasicAuthRequest,
    request: Request,
    session: SessionDep,
    km: KeyManagerDep,
    _: InternalPrincipal,
) -> BasicAuthResult | JSONResponse:
    attempts = _attempts(request)
    username, tenant = await resolve_login(session, body.username.strip(), body.tenant or DEFAULT_TENANT)
    name = f"{username.lower()}@{tenant}"
    locked = attempts.locked_for(name, time.monotonic())
    if locked:
        return JSONResponse(
            {"code": 429, "message": "Too Many Requests", "description": "Too many failed attempts"},
            status_code=429,
            headers={"Retry-After": str(math.ceil(locked))},
        )
    user = await UserRepository(session).by_name(tenant, username)
    stored = user.password_hash if user is not None and user.active else None
    # Verified even without a user (against a dummy hash): the same work either way.
    matched = await km.users.passwords.verify(stored, body.password)
    if user is None or not matched:
        attempts.failed(name, time.monotonic())
        return BasicAuthResult(valid=False)
    attempts.succeeded(name)
    roles = await km.users.roles(session, user)
    scope_map = await km.scopes.map_for(user.tenant)
    held = scope_map.expand(roles)
    scopes = sorted(
        scope
        for scope, allowed in scope_map.roles_by_scope.items()
        if scope != INTERNAL_SCOPE and allowed & held
    )
    return BasicAuthResult(
        valid=True,
        username=user.username,
        tenant=user.tenant,
        subject=f"{user.username}@{user.tenant}",
        roles=sorted(held),
        scopes=scopes,
    )
