"""Server-side sessions: the browser holds only a random id; tokens never leave the server.

The store lives in the process (one replica, or sticky sessions in front of several): a session
is lost on restart, which signs the user out, nothing more. The id is looked up by its SHA-256,
so a memory dump of the map does not hand out usable cookies.
"""

from __future__ import annotations

import hashlib
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
    created: float = field(default_factory=time.monotonic)


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


class SessionStore:
    def __init__(self, ttl: float, max_sessions: int) -> None:
        self._ttl = ttl
        self._max = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._pending: dict[str, PendingSignIn] = {}

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

    def start_sign_in(self, state: str, pending: PendingSignIn) -> None:
        now = time.monotonic()
        # A sign-in abandoned for ten minutes is forgotten.
        for key in [k for k, v in self._pending.items() if now - v.created > 600]:
            del self._pending[key]
        self._pending[state] = pending

    def finish_sign_in(self, state: str) -> PendingSignIn | None:
        return self._pending.pop(state, None)
