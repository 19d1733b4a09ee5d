"""The snapshot on start, then events; the gateway keeps serving its last model through outages.

Start: load the cached snapshot file (if any), subscribe to the bus as this gateway's own group
(every gateway sees every event), and pull the three snapshot parts in the background, retrying
until each part has come once. A part replaces only its own share of the model (the publisher's
APIs, the devportal's applications and subscriptions, the admin's policies and key managers), so
a part that comes late does not roll back what events changed in the others since they came.
Events that arrive while a pull is on its way are applied after it (handlers are idempotent), so a
snapshot never rolls back a newer event. Each successful pull rewrites the cache file.

If the control plane, the bus or throttle-sync is down, nothing here stops the request path: it
reads only the in-memory model.

When the bus consumer rejoins after losing its broker (``on_reconnect`` of the Kafka bus), the
events of the gap may be gone (a broker that lost its log, offsets reset): the syncer pulls the
whole snapshot again, as WSO2 gateways resync on reconnect, so the model converges to the control
plane's whatever the broker kept. A deployment event whose revision is no longer deployed (a
redelivered or late event, overtaken by a later change) is skipped: the later change's event or
the snapshot carries the current revision.

What the key manager refuses (revoked tokens, revocation rules, inactive tenants) comes from the
token-revocations events and, on start and on every resync, from its revocation snapshot, pulled
apart from the three parts (``complete`` does not wait for it) and retried until it comes. A
deactivated tenant's APIs stop being served and its tokens are refused; once it is reactivated,
the snapshot is pulled again to serve its APIs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from apim_common.events.bus import EventBus
from apim_common.events.envelope import CloudEvent
from apim_common.events.kafka import KafkaBus
from apim_common.events.topics import Topic
from apim_common.revocations import TENANT_ACTIVATED, TENANT_DEACTIVATED, SnapshotFetcher
from apim_common.tasks import cancel_and_wait
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.sync.control_plane import PARTS, ControlPlane, ControlPlaneError, NotDeployed

logger = logging.getLogger(__name__)

GATEWAY_TOPICS = (
    Topic.APIS,
    Topic.DEPLOYMENTS,
    Topic.GATEWAY_POLICIES,
    Topic.APPLICATIONS,
    Topic.SUBSCRIPTIONS,
    Topic.KEYS,
    Topic.THROTTLE_POLICIES,
    Topic.DENY_POLICIES,
    Topic.KEY_MANAGERS,
    Topic.TOKEN_REVOCATIONS,
)


_DEPLOYMENT_EVENTS = frozenset(
    {"deployment.deployed", "deployment.undeployed", "api.lifecycle-changed", "api.deleted"}
)
_SAVE_DELAY = 0.5
_dumps = json.dumps
_MAX_REVOCATIONS_RETRY = 5.0
# The cache file keeps what the key manager refuses beside the parts, for a restart without it.
_REVOCATIONS = "revocations"


class Syncer:
    def __init__(
        self,
        state: RuntimeState,
        control_plane: ControlPlane,
        *,
        cache_file: Path | None,
        retry_interval: float = 2.0,
        revocations: SnapshotFetcher | None = None,
    ) -> None:
        self.state = state
        self.control_plane = control_plane
        # The key manager's revocation snapshot; tenant events seen while it is fetched are applied
        # again after it, since it may predate them.
        self._revocations = revocations
        self._revocations_task: asyncio.Task[None] | None = None
        self._tenant_events: list[CloudEvent] | None = None
        self.revocations_loaded = asyncio.Event()
        self.cache_file = cache_file
        self.retry_interval = retry_interval
        self.parts: dict[str, dict[str, Any]] = {}
        self.ready = asyncio.Event()
        self.complete = asyncio.Event()
        self._pending_events: list[CloudEvent] | None = None
        self._task: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._resync_again = False
        self._pull_lock = asyncio.Lock()
        self._save_handle: asyncio.TimerHandle | None = None
        self._deployments_changed = False
        # The cache file's JSON, kept per part and per served artifact (``_encode``).
        self._encoded_parts: dict[str, tuple[object, str]] = {}
        self._encoded_artifacts: dict[int, tuple[object, str]] = {}
        self.resyncs = 0
        self.events_applied = 0
        self._handlers: dict[str, Callable[[CloudEvent], Awaitable[None]]] = {
            "deployment.deployed": self._deployed,
            "deployment.undeployed": self._undeployed,
            "api.lifecycle-changed": self._lifecycle,
            "api.deleted": self._api_deleted,
            "gateway-policy.deployed": self._gateway_policy,
            "gateway-policy.created": self._gateway_policy,
            "gateway-policy.updated": self._gateway_policy,
            "gateway-policy.undeployed": self._gateway_policy_removed,
            "gateway-policy.deleted": self._gateway_policy_removed,
            "application.created": self._application,
            "application.updated": self._application,
            "application.deleted": self._application_deleted,
            "subscription.created": self._subscription,
            "subscription.updated": self._subscription,
            "subscription.deleted": self._subscription_deleted,
            "key-mapping.created": self._key_mapping,
            "key-mapping.deleted": self._key_mapping_deleted,
            "throttle-policy.created": self._throttle_policy,
            "throttle-policy.updated": self._throttle_policy,
            "throttle-policy.deleted": self._throttle_policy_deleted,
            "deny-policy.created": self._deny_policy,
            "deny-policy.updated": self._deny_policy,
            "deny-policy.deleted": self._deny_policy_deleted,
            "key-manager.created": self._key_manager,
            "key-manager.updated": self._key_manager,
            "key-manager.deleted": self._key_manager_deleted,
            "token.revoked": self._token_revoked,
            "tokens.revoked-before": self._tokens_revoked_before,
            TENANT_DEACTIVATED: self._tenant_status,
            TENANT_ACTIVATED: self._tenant_status,
        }

    # -- lifecycle --------------------------------------------------------------------------------

    def subscribe(self, bus: EventBus, group: str) -> None:
        topics = [str(t) for t in GATEWAY_TOPICS]
        if isinstance(bus, KafkaBus):
            bus.subscribe(topics, group, self.handle, on_reconnect=self.request_resync)
        else:
            bus.subscribe(topics, group, self.handle)

    def request_resync(self) -> None:
        """Pull the whole snapshot again, in the background; requests while one runs coalesce."""
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_again = True
            return
        self._resync_task = asyncio.create_task(self._resync(), name="gateway-resync")
        self._load_revocations()

    async def _resync(self) -> None:
        while True:
            self._resync_again = False
            missing = set(PARTS)
            while missing:
                missing = await self.pull(missing)
                if missing:
                    await asyncio.sleep(self.retry_interval)
            self.resyncs += 1
            logger.info("resynchronised the runtime model from the control plane")
            if not self._resync_again:
                return

    def load_cache(self) -> bool:
        if self.cache_file is None or not self.cache_file.exists():
            return False
        try:
            snapshot = json.loads(self.cache_file.read_text())
            # First, so that an inactive tenant's cached APIs are not served.
            self._apply_revocations(snapshot.get(_REVOCATIONS) or {})
            self.state.load_snapshot(snapshot)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("cannot load the cached snapshot %s: %s", self.cache_file, exc)
            return False
        self.parts = {name: snapshot.get(name) or {} for name in (*PARTS, _REVOCATIONS)}
        logger.info("serving the cached snapshot %s until the control plane answers", self.cache_file)
        self.ready.set()
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._pull_until_complete(), name="gateway-snapshot")
        self._load_revocations()

    def _load_revocations(self) -> None:
        if self._revocations is None:
            return
        if self._revocations_task is None or self._revocations_task.done():
            self._revocations_task = asyncio.create_task(
                self._pull_revocations_until_loaded(), name="gateway-revocations"
            )

    async def _pull_revocations_until_loaded(self) -> None:
        delay = self.retry_interval
        while not await self.pull_revocations():
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_REVOCATIONS_RETRY)

    async def pull_revocations(self) -> bool:
        """Fetch and apply the key manager's revocation snapshot once; False if it did not come."""
        assert self._revocations is not None
        self._tenant_events = []
        try:
            try:
                snapshot = await self._revocations()
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                logger.warning("the key manager's revocation snapshot is not available yet: %r", exc)
                return False
            reactivated = self._apply_revocations(snapshot)
            self.revocations_loaded.set()
            self._cache_revocations()
            if reactivated and self.complete.is_set():
                self.request_resync()
            return True
        finally:
            seen, self._tenant_events = self._tenant_events, None
            for event in seen:
                await self._tenant_status(event)

    async def stop(self) -> None:
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_now()
        await cancel_and_wait(self._task, self._resync_task, self._revocations_task)
        self._task = self._resync_task = self._revocations_task = None

    async def _pull_until_complete(self) -> None:
        missing = set(PARTS)
        while missing:
            missing = await self.pull(missing)
            if missing:
                await asyncio.sleep(self.retry_interval)
        self.complete.set()

    async def pull(self, names: set[str] | None = None) -> set[str]:
        """Fetch snapshot parts, apply them; the names of the parts that could not be fetched."""
        async with self._pull_lock:
            return await self._pull(set(PARTS) if names is None else names)

    async def _pull(self, names: set[str]) -> set[str]:
        self._pending_events = []
        failed: set[str] = set()
        try:
            results = await asyncio.gather(
                *(self.control_plane.part(name) for name in sorted(names)), return_exceptions=True
            )
            fetched = []
            for name, result in zip(sorted(names), results, strict=True):
                if isinstance(result, ControlPlaneError):
                    logger.warning("snapshot part %s not available yet: %s", name, result)
                    failed.add(name)
                elif isinstance(result, BaseException):
                    raise result
                else:
                    self.parts[name] = result
                    fetched.append(name)
            if fetched:
                # Only these parts: the others' share of the model has the events since they came.
                self.state.load_snapshot(self.parts, fetched)
                self._save()
                self.ready.set()
        finally:
            pending, self._pending_events = self._pending_events, None
            for event in pending:
                await self._apply(event)
        return failed

    def _apply_revocations(self, snapshot: Mapping[str, Any]) -> bool:
        """Take a revocation snapshot; True if a tenant inactive until now is active in it."""
        for token in snapshot.get("revokedTokens") or ():
            self.state.revocations.revoke_jti(str(token["jti"]), token.get("expiresAt"))
        for rule in snapshot.get("rules") or ():
            self.state.revocations.revoke_before(
                rule.get("clientId"), rule.get("username"), float(rule["before"])
            )
        inactive = {str(d).lower() for d in snapshot.get("inactiveTenants") or ()}
        reactivated = self.state.inactive_tenants - inactive
        for tenant in reactivated:
            self.state.set_tenant_active(tenant, True)
        for tenant in inactive:
            self.state.set_tenant_active(tenant, False)
        return bool(reactivated)

    def _cache_revocations(self) -> None:
        """Keep what is refused in the cache file (written at most every half second)."""
        if self.cache_file is None:
            return
        revocations = self.state.revocations
        self.parts[_REVOCATIONS] = {
            "revokedTokens": [{"jti": j, "expiresAt": e} for j, e in revocations.jtis.items()],
            "rules": [{"clientId": c, "before": b} for c, b in revocations.clients.items()]
            + [{"username": u, "before": b} for u, b in revocations.users.items()],
            "inactiveTenants": sorted(revocations.inactive_tenants),
        }
        if self._save_handle is None:
            self._save_handle = asyncio.get_running_loop().call_later(_SAVE_DELAY, self._save_now)

    def _save(self) -> None:
        if self.cache_file is None:
            return
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            text = self._encode()
            fd, tmp = tempfile.mkstemp(dir=self.cache_file.parent, prefix=".snapshot-")
            with os.fdopen(fd, "w") as out:
                out.write(text)
            os.replace(tmp, self.cache_file)
        except OSError as exc:
            logger.warning("cannot write the snapshot cache %s: %s", self.cache_file, exc)

    def _encode(self) -> str:
        """``parts`` as JSON, encoded again only where they changed: the file is written on the
        event loop after every change of what is served, and encoding a model of 10,000 APIs whole
        holds the loop for a quarter of a second or more. A pull or a change replaces a part and
        nothing edits one in place, so a part's text is kept while the same object is in ``parts``;
        the publisher part's artifacts, each kept while it is served, are encoded one by one."""
        fields = []
        for name, part in self.parts.items():
            artifacts = part.get("artifacts") if name == "publisher" else None
            if isinstance(artifacts, list):
                rest = _dumps({key: value for key, value in part.items() if key != "artifacts"})
                listed = ", ".join(self._encoded(self._encoded_artifacts, id(a), a) for a in artifacts)
                text = f'{rest[:-1]}{", " if len(rest) > 2 else ""}"artifacts": [{listed}]}}'
                # Only the artifacts served now stay kept.
                kept = {id(a) for a in artifacts}
                self._encoded_artifacts = {k: v for k, v in self._encoded_artifacts.items() if k in kept}
            else:
                text = self._encoded(self._encoded_parts, name, part)
            fields.append(f"{_dumps(name)}: {text}")
        return "{" + ", ".join(fields) + "}"

    @staticmethod
    def _encoded(kept: dict[Any, tuple[object, str]], key: Any, value: object) -> str:
        known = kept.get(key)
        if known is None or known[0] is not value:
            known = kept[key] = (value, _dumps(value))
        return known[1]

    # -- events -----------------------------------------------------------------------------------

    async def handle(self, event: CloudEvent) -> None:
        if self._pending_events is not None:
            self._pending_events.append(event)
            return
        await self._apply(event)

    async def _apply(self, event: CloudEvent) -> None:
        handler = self._handlers.get(event.type)
        if handler is not None:
            # The routing table is replaced whenever the served APIs change, and only then.
            served = self.state.router
            await handler(event)
            self.events_applied += 1
            if event.type in _DEPLOYMENT_EVENTS and self.state.router is not served:
                self._cache_deployments()

    def _cache_deployments(self) -> None:
        """Keep the cache file's deployments as served, so a restart without the control plane
        serves what the events deployed since the last pull (written at most every half second).

        Only marked here: the served artifacts are listed once when the file is written, not for
        each event (a new gateway replays one or two events per API of the model)."""
        if self.cache_file is None or "publisher" not in self.parts:
            return
        self._deployments_changed = True
        if self._save_handle is None:
            self._save_handle = asyncio.get_running_loop().call_later(_SAVE_DELAY, self._save_now)

    def _save_now(self) -> None:
        self._save_handle = None
        if self._deployments_changed:
            self._deployments_changed = False
            self.parts["publisher"] = {
                **self.parts["publisher"],
                "artifacts": list(self.state.artifacts.values()),
            }
        self._save()

    async def _deployed(self, event: CloudEvent) -> None:
        data = event.data
        if data.get("environment") not in (None, self.state.environment):
            return
        revision_id = str(data["revisionId"])
        if self.state.serves_revision(str(data.get("apiId") or ""), revision_id, data.get("vhost")):
            # A redelivered event, or one a new gateway replays after its snapshot: nothing to pull.
            return
        # A failure here raises: the bus delivers the event again (at-least-once).
        try:
            artifact = await self.control_plane.artifact(revision_id)
        except NotDeployed:
            logger.info(
                "revision %s of API %s is no longer deployed; skipped", revision_id, data.get("apiId")
            )
            return
        artifact.setdefault("tenant", event.tenant)
        if not self.state.deploy(artifact):
            logger.error("revision %s of API %s was not deployed", revision_id, data.get("apiId"))

    async def _undeployed(self, event: CloudEvent) -> None:
        data = event.data
        if data.get("environment") not in (None, self.state.environment):
            return
        self.state.undeploy(str(data["apiId"]), str(data.get("revisionId") or "") or None)

    async def _lifecycle(self, event: CloudEvent) -> None:
        data = event.data
        api_id = str(data.get("apiId") or data.get("id"))
        state = data.get("state") or data.get("lifeCycleStatus")
        if state:
            self.state.set_lifecycle(api_id, str(state))

    async def _api_deleted(self, event: CloudEvent) -> None:
        self.state.undeploy(str(event.data.get("id") or event.subject))

    def _for_this_gateway(self, data: Mapping[str, Any]) -> bool:
        """A mapping is deployed to one gateway label per event (docs/contracts.md)."""
        label = data.get("gatewayLabel")
        return label is None or label == self.state.environment

    async def _gateway_policy(self, event: CloudEvent) -> None:
        if self._for_this_gateway(event.data):
            self.state.set_gateway_policy(event.data, event.tenant)

    async def _gateway_policy_removed(self, event: CloudEvent) -> None:
        if self._for_this_gateway(event.data):
            self.state.remove_gateway_policy(str(event.data.get("id") or event.subject), event.tenant)

    async def _application(self, event: CloudEvent) -> None:
        self.state.upsert_application(event.data, event.tenant)

    async def _application_deleted(self, event: CloudEvent) -> None:
        self.state.remove_application(str(event.data.get("applicationId") or event.subject))

    async def _subscription(self, event: CloudEvent) -> None:
        self.state.upsert_subscription(event.data)

    async def _subscription_deleted(self, event: CloudEvent) -> None:
        self.state.remove_subscription(event.data)

    async def _key_mapping(self, event: CloudEvent) -> None:
        self.state.add_key_mapping(event.data)

    async def _key_mapping_deleted(self, event: CloudEvent) -> None:
        self.state.remove_key_mapping(event.data)

    async def _throttle_policy(self, event: CloudEvent) -> None:
        self.state.upsert_throttle_policy(str(event.data["policyType"]), event.data["policy"], event.tenant)

    async def _throttle_policy_deleted(self, event: CloudEvent) -> None:
        self.state.remove_throttle_policy(str(event.data["policyType"]), event.data["policy"], event.tenant)

    async def _deny_policy(self, event: CloudEvent) -> None:
        self.state.upsert_deny_policy(event.data, event.tenant)

    async def _deny_policy_deleted(self, event: CloudEvent) -> None:
        self.state.remove_deny_policy(event.data)

    async def _key_manager(self, event: CloudEvent) -> None:
        self.state.upsert_key_manager(event.data, event.tenant)

    async def _key_manager_deleted(self, event: CloudEvent) -> None:
        self.state.remove_key_manager(event.data)

    async def _token_revoked(self, event: CloudEvent) -> None:
        expires_at = event.data.get("expiresAt")
        self.state.revocations.revoke_jti(str(event.data["jti"]), float(expires_at) if expires_at else None)
        self._cache_revocations()

    async def _tokens_revoked_before(self, event: CloudEvent) -> None:
        data = event.data
        self.state.revocations.revoke_before(
            data.get("clientId"), data.get("username"), float(data["before"])
        )
        self._cache_revocations()

    async def _tenant_status(self, event: CloudEvent) -> None:
        if self._tenant_events is not None:
            self._tenant_events.append(event)
        active = event.type == TENANT_ACTIVATED
        tenant = str(event.data.get("domain") or event.subject).lower()
        was_inactive = tenant in self.state.inactive_tenants
        self.state.set_tenant_active(tenant, active)
        self._cache_revocations()
        if active and was_inactive:
            # Its APIs were dropped when it was deactivated: the publisher's snapshot has them.
            self.request_resync()
