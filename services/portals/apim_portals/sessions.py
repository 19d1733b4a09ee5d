"""Server-side sessions: the browser holds only a random id; tokens never leave the server.

The store lives in the process (one replica, or sticky sessions in front of several): a session
is lost on restart, which signs the user out, nothing more. The id is looked up by its SHA-256,
so a memory dump of the map does not hand out usable cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

COOKIE = "apim_portal_session"


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: float
    scopes: frozenset[str]


@dataclass
class PendingSignIn:
    """What the callback needs to finish a sign-in it started (kept by ``state``)."""

    verifier: str
    portal: str
    return_to: str
    # SHA-256 of the value of the browser-binding cookie set when this sign-in started: only the
    # browser that started it may finish it (no login CSRF).
    binding_hash: str = ""
    created: float = field(default_factory=time.monotonic)

    def started_by(self, binding: str | None) -> bool:
        return bool(binding) and hmac.compare_digest(self.binding_hash, binding_hash(binding or ""))


def binding_hash(binding: str) -> str:
    return hashlib.sha256(binding.encode()).hexdigest()


@dataclass
class TryItCredential:
    label: str
    # "bearer" (Authorization header) or the API-key header's name.
    header: str
    value: str


@dataclass
class Session:
    id_hash: str
    csrf: str
    username: str | None = None
    tenant: str | None = None
    tokens: Tokens | None = None
    # Credentials the user generated here, offered in the try-it panel (newest first).
    credentials: list[TryItCredential] = field(default_factory=list)
    # The one the try-it panel adds to calls that carry no credentials of their own.
    try_it: TryItCredential | None = None
    flash: list[dict[str, Any]] = field(default_factory=list)
    last_seen: float = field(default_factory=time.monotonic)

    @property
    def signed_in(self) -> bool:
        return self.tokens is not None

    def remember(self, credential: TryItCredential) -> None:
        self.credentials = [credential, *[c for c in self.credentials if c.value != credential.value]][:10]


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


# Seconds a started sign-in may take to come back to its callback.
SIGN_IN_TTL = 600.0


class SessionStore:
    def __init__(self, ttl: float, max_sessions: int, max_pending: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        # Oldest first: a flood of started sign-ins evicts the oldest, never grows without bound.
        self._pending: OrderedDict[str, PendingSignIn] = OrderedDict()
        self._max_pending = max_pending

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        key = _hash(session_id)
        found = self._sessions.get(key)
        now = time.monotonic()
        if found is None:
            return None
        if now - found.last_seen > self._ttl:
            del self._sessions[key]
            return None
        found.last_seen = now
        self._sessions.move_to_end(key)
        return found

    def create(self) -> tuple[str, Session]:
        """A new session and the id to put in the cookie (never stored as such)."""
        session_id = secrets.token_urlsafe(32)
        found = Session(id_hash=_hash(session_id), csrf=secrets.token_urlsafe(32))
        self._sessions[found.id_hash] = found
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        return session_id, found

    def drop(self, found: Session) -> None:
        self._sessions.pop(found.id_hash, None)

    def pending_sign_ins(self) -> int:
        return len(self._pending)

    def start_sign_in(self, state: str, pending: PendingSignIn) -> None:
        now = time.monotonic()
        # A sign-in abandoned for ten minutes is forgotten; beyond the cap, the oldest goes first.
        while self._pending:
            oldest = next(iter(self._pending.values()))
            if now - oldest.created <= SIGN_IN_TTL and len(self._pending) < self._max_pending:
                break
            self._pending.popitem(last=False)
        self._pending[state] = pending

    def finish_sign_in(self, state: str, binding: str | None) -> PendingSignIn | None:
        """The sign-in ``state`` names, if the browser presenting ``binding`` started it (and it
        has not expired); it can be finished once."""
        pending = self._pending.get(state)
        if pending is None or not pending.started_by(binding):
            return None
        del self._pending[state]
        if time.monotonic() - pending.created > SIGN_IN_TTL:
            return None
        return pending
