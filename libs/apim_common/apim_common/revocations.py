"""Tokens refused although their signature is good, as every control-plane service sees them.

The key manager decides (``/oauth2/revoke``, a deleted user or a changed role, a deactivated
tenant) and announces it on the token-revocations topic. Each replica of every service keeps the
result in memory (``RevocationState``) and checks it on every request, so a refused token gets 401
everywhere within the bus's delivery time, as at the gateways:

- ``token.revoked`` ``{jti, expiresAt}``: that token, until it expires;
- ``tokens.revoked-before`` ``{clientId?, username?, before}``: tokens of that client or user
  (``name@tenant``) issued before ``before`` (epoch seconds);
- ``tenant.deactivated`` / ``tenant.activated`` ``{domain}``: every token of the tenant, while it
  is inactive.

Each replica consumes the topic as its own group (broadcast), since each keeps its own model. On
start, and whenever a Kafka consumer rejoins (events of the gap may be gone), the replica pulls
the whole state from the key manager (``SNAPSHOT_PATH``) in the background, retrying until it
comes. Events take effect at once, and those arriving while a snapshot is fetched are applied
again after it, so the snapshot never undoes a newer event. Until the first snapshot has come
(the key manager not reachable yet), only the events since the start are known.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx
from fastapi import FastAPI

from apim_common.events.bus import EventBus
from apim_common.events.envelope import DEFAULT_TENANT, CloudEvent
from apim_common.events.kafka import KafkaBus
from apim_common.events.topics import Topic
from apim_common.service_auth import ServiceTokenProvider
from apim_common.settings import ServiceSettings
from apim_common.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

TOKEN_REVOKED = "token.revoked"
TOKENS_REVOKED_BEFORE = "tokens.revoked-before"
TENANT_DEACTIVATED = "tenant.deactivated"
TENANT_ACTIVATED = "tenant.activated"
SNAPSHOT_PATH = "/api/am/keymanager/v1/internal/revocations"

REVOKED = "Access token has been revoked"
# A revoked jti whose event carries no expiry is kept this long (the longest token lifetime).
_DEFAULT_KEEP = 86_400.0
_PRUNE_EVERY = 1024

SnapshotFetcher = Callable[[], Awaitable[Mapping[str, Any]]]


def tenant_inactive(domain: str) -> str:
    return f"The tenant {domain} is inactive"


class RevocationState:
    """Revoked jtis, revocation rules by client and by user, inactive tenants."""

    def __init__(self) -> None:
        self.jtis: dict[str, float] = {}
        self.clients: dict[str, float] = {}
        self.users: dict[str, float] = {}
        self.inactive_tenants: set[str] = set()

    def revoke_jti(self, jti: str, expires_at: float | None) -> None:
        self.jtis[jti] = float(expires_at) if expires_at else time.time() + _DEFAULT_KEEP
        if len(self.jtis) % _PRUNE_EVERY == 0:
            now = time.time()
            self.jtis = {j: e for j, e in self.jtis.items() if e > now}

    def revoke_before(self, client_id: str | None, username: str | None, before: float) -> None:
        if client_id:
            self.clients[client_id] = max(before, self.clients.get(client_id, 0.0))
        if username:
            self.users[username] = max(before, self.users.get(username, 0.0))

    def set_tenant_active(self, domain: str, active: bool) -> None:
        if active:
            self.inactive_tenants.discard(domain.lower())
        else:
            self.inactive_tenants.add(domain.lower())

    def apply(self, event: CloudEvent) -> bool:
        """Apply one token-revocations event; False if its type is not one of ours."""
        data = event.data
        if event.type == TOKEN_REVOKED:
            expires_at = data.get("expiresAt")
            self.revoke_jti(str(data["jti"]), float(expires_at) if expires_at else None)
        elif event.type == TOKENS_REVOKED_BEFORE:
            self.revoke_before(data.get("clientId"), data.get("username"), float(data["before"]))
        elif event.type in (TENANT_DEACTIVATED, TENANT_ACTIVATED):
            domain = str(data.get("domain") or event.subject)
            self.set_tenant_active(domain, event.type == TENANT_ACTIVATED)
        else:
            return False
        return True

    def load(self, snapshot: Mapping[str, Any]) -> None:
        """Take the key manager's whole state: revocations add up, tenant status is replaced."""
        for token in snapshot.get("revokedTokens") or ():
            self.revoke_jti(str(token["jti"]), token.get("expiresAt"))
        for rule in snapshot.get("rules") or ():
            self.revoke_before(rule.get("clientId"), rule.get("username"), float(rule["before"]))
        self.inactive_tenants = {str(d).lower() for d in snapshot.get("inactiveTenants") or ()}

    def refusal(self, claims: Mapping[str, Any]) -> str | None:
        """Why a verified token must be refused, or None if it may be used."""
        tenant = str(claims.get("tenant") or DEFAULT_TENANT).lower()
        if tenant in self.inactive_tenants:
            return tenant_inactive(tenant)
        jti = claims.get("jti")
        if isinstance(jti, str) and jti in self.jtis:
            return REVOKED
        iat = claims.get("iat")
        if not isinstance(iat, int | float):
            return None
        client_id = claims.get("azp") or claims.get("client_id")
        if self.clients and client_id and iat < self.clients.get(str(client_id), 0.0):
            return REVOKED
        subject = str(claims.get("sub") or "")
        if self.users and subject:
            if "@" not in subject:
                subject = f"{subject}@{tenant}"
            if iat < self.users.get(subject, 0.0):
                return REVOKED
        return None


def http_snapshot_fetcher(
    http: httpx.AsyncClient,
    key_manager_url: str,
    secret_key: str,
    *,
    tokens: ServiceTokenProvider | None = None,
) -> SnapshotFetcher:
    """The key manager's whole revocation state, asked for with a service token (``tokens``, or a
    provider of its own)."""
    base = key_manager_url.rstrip("/")
    tokens = tokens or ServiceTokenProvider(http, f"{base}/oauth2/token", secret_key)

    async def fetch() -> Mapping[str, Any]:
        response = await http.get(f"{base}{SNAPSHOT_PATH}", headers=await tokens.headers(), timeout=10.0)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("the revocation snapshot is not a JSON object")
        return body

    return fetch


class RevocationTracker:
    """Feeds a ``RevocationState`` from the bus and from the key manager's snapshot."""

    def __init__(
        self,
        state: RevocationState,
        fetch: SnapshotFetcher,
        *,
        retry_interval: float = 0.5,
        max_retry_interval: float = 5.0,
    ) -> None:
        self.state = state
        self._fetch = fetch
        self._retry_interval = retry_interval
        self._max_retry_interval = max_retry_interval
        self._pending: list[CloudEvent] | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self.loaded = asyncio.Event()

    def subscribe(self, bus: EventBus, group: str) -> None:
        topics = [str(Topic.TOKEN_REVOCATIONS)]
        if isinstance(bus, KafkaBus):
            bus.subscribe(topics, group, self.handle, on_reconnect=self.request_snapshot)
        else:
            bus.subscribe(topics, group, self.handle)

    async def handle(self, event: CloudEvent) -> None:
        # Applied at once, and again after a snapshot being fetched, which may predate it.
        self.state.apply(event)
        if self._pending is not None:
            self._pending.append(event)

    def request_snapshot(self) -> None:
        """Pull the whole state in the background; requests while one runs coalesce."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._pull_until_loaded(), name="revocations-snapshot")

    async def _pull_until_loaded(self) -> None:
        while True:
            self._again = False
            delay = self._retry_interval
            while not await self.pull():
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_interval)
            if not self._again:
                return

    async def pull(self) -> bool:
        """Fetch and load the snapshot once; False if the key manager did not give it."""
        self._pending = []
        try:
            try:
                snapshot = await self._fetch()
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                logger.warning("the revocation snapshot is not available yet: %r", exc)
                return False
            self.state.load(snapshot)
            self.loaded.set()
            return True
        finally:
            pending, self._pending = self._pending, None
            for event in pending:
                self.state.apply(event)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None


@contextlib.asynccontextmanager
async def revocation_tracking(app: FastAPI) -> AsyncIterator[None]:
    """A service extension: this replica refuses what the key manager revoked or deactivated."""
    settings: ServiceSettings = app.state.settings
    state = RevocationState()
    fetch = http_snapshot_fetcher(app.state.http, settings.key_manager_url, settings.secret())
    tracker = RevocationTracker(state, fetch)
    service = getattr(app.state, "service_name", "service")
    tracker.subscribe(app.state.bus, f"{service}-revocations-{uuid.uuid4().hex[:12]}")

    async def refusal(claims: dict[str, Any]) -> str | None:
        return state.refusal(claims)

    app.state.revocations = tracker
    app.state.token_revoked = refusal
    tracker.request_snapshot()
    try:
        yield
    finally:
        await tracker.stop()
