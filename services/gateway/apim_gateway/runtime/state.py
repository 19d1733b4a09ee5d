"""The gateway's in-memory runtime model, with one update method per kind of event.

Everything the request path reads is here, in dicts keyed for O(1) lookups; updates replace
entries (and the router) whole, so a request never sees half an update. The model is rebuilt
from a snapshot on start and kept current by events; it is never persisted except as the
snapshot cache file (``sync/``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from apim_common.revocations import RevocationState
from apim_gateway.policies import PolicyConfigError, PolicyServices
from apim_gateway.runtime.apis import DEFAULT_TENANT, BackendSettings, CompiledApi, compile_api
from apim_gateway.runtime.response_cache import ResponseCache
from apim_gateway.runtime.router import Router
from apim_gateway.runtime.tiers import (
    TenantTiers,
    advanced_tier,
    application_tier,
    custom_rule,
    subscription_tier,
)

logger = logging.getLogger(__name__)

FLOWS = ("request", "response", "fault")


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    tenant: str
    name: str
    owner: str
    tier: str
    status: str


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    application_id: str
    api_id: str
    tier: str
    status: str  # UNBLOCKED | BLOCKED | PROD_ONLY_BLOCKED | ON_HOLD | REJECTED | ...


@dataclass(frozen=True, slots=True)
class KeyMapping:
    application_id: str
    key_type: str
    key_manager: str
    consumer_key: str


@dataclass(frozen=True, slots=True)
class KeyManagerConfig:
    id: str
    tenant: str
    name: str
    issuer: str
    jwks_url: str | None
    pem: str | None
    consumer_key_claim: str
    scopes_claim: str
    audience: str | None
    claim_mapping: tuple[tuple[str, str], ...]
    enabled: bool
    is_global: bool
    self_validate: bool
    # The one JWS algorithm its tokens may use (signingAlgorithm); None: any the gateway verifies.
    algorithm: str | None = None


def key_manager_config(raw: Mapping[str, Any], tenant: str) -> KeyManagerConfig:
    certificates = raw.get("certificates") or {}
    jwks_url = pem = None
    if certificates.get("type") == "JWKS":
        jwks_url = str(certificates.get("value"))
    elif certificates.get("type") == "PEM":
        pem = str(certificates.get("value"))
    additional = raw.get("additionalProperties") or {}
    audience = additional.get("audience") if isinstance(additional, Mapping) else None
    return KeyManagerConfig(
        id=str(raw.get("id") or raw.get("name")),
        tenant=str(raw.get("tenant") or tenant),
        name=str(raw.get("name")),
        issuer=str(raw.get("issuer") or ""),
        jwks_url=jwks_url,
        pem=pem,
        consumer_key_claim=str(raw.get("consumerKeyClaim") or "azp"),
        scopes_claim=str(raw.get("scopesClaim") or "scope"),
        audience=str(audience) if audience else None,
        claim_mapping=tuple(
            (str(m.get("remoteClaim")), str(m.get("localClaim"))) for m in raw.get("claimMapping") or ()
        ),
        enabled=bool(raw.get("enabled", True)),
        is_global=bool(raw.get("global", False)),
        self_validate=bool(raw.get("enableSelfValidationJWT", True)),
        algorithm=str(raw["signingAlgorithm"]) if raw.get("signingAlgorithm") else None,
    )


@dataclass(slots=True)
class DenyRules:
    """Active blocking conditions of one tenant."""

    apis: set[str] = field(default_factory=set)  # context or context/version
    applications: set[str] = field(default_factory=set)  # application id or owner:name
    users: set[str] = field(default_factory=set)
    ips: set[str] = field(default_factory=set)
    ip_ranges: list[tuple[Any, Any, bool]] = field(default_factory=list)
    inverted_ips: set[str] = field(default_factory=set)

    def ip_denied(self, ip: str) -> bool:
        if ip in self.ips:
            return True
        if self.inverted_ips and ip not in self.inverted_ips:
            return True
        if not self.ip_ranges:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        for low, high, invert in self.ip_ranges:
            inside = low.version == address.version and low <= address <= high
            if inside != invert:
                return True
        return False

    @property
    def empty(self) -> bool:
        return not (
            self.apis or self.applications or self.users or self.ips or self.ip_ranges or self.inverted_ips
        )


def _condition_value(raw: Any) -> Any:
    if isinstance(raw, str) and raw.strip().startswith("{"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


# What of the model each snapshot part holds (``RuntimeState.load_snapshot``).
_SHARES: dict[str, tuple[str, ...]] = {
    "publisher": ("apis", "router", "artifacts", "gateway_policies"),
    "devportal": ("applications", "subscriptions", "_subscription_ids", "key_mappings"),
    "admin": ("key_managers", "tiers", "_raw_tiers", "deny", "_deny_raw"),
}
_SNAPSHOT_PARTS = tuple(_SHARES)


class RuntimeState:
    def __init__(
        self,
        *,
        environment: str,
        default_vhost: str,
        backend: BackendSettings,
        policy_services: PolicyServices | None = None,
        response_cache: ResponseCache | None = None,
    ) -> None:
        self.environment = environment
        # Backend answers of the APIs with responseCachingEnabled; an API's entries go whenever
        # the revision it serves is replaced or goes away.
        self.response_cache = response_cache if response_cache is not None else ResponseCache()
        # Handed to every policy compiled for this model (mirrorRequest, callInterceptorService).
        self.policy_services = policy_services
        self.default_vhost = default_vhost.lower()
        self.backend = backend
        self.apis: dict[str, CompiledApi] = {}
        self.router = Router((), self.default_vhost)
        self.artifacts: dict[str, Mapping[str, Any]] = {}
        # tenant -> mapping id -> {request, response, fault}
        self.gateway_policies: dict[str, dict[str, Mapping[str, Any]]] = {}
        self.applications: dict[str, Application] = {}
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self._subscription_ids: dict[str, tuple[str, str]] = {}
        self.key_mappings: dict[tuple[str, str], KeyMapping] = {}
        self.key_managers: dict[str, KeyManagerConfig] = {}  # by id
        self.tiers: dict[str, TenantTiers] = {}
        self._raw_tiers: dict[tuple[str, str, str], Mapping[str, Any]] = {}
        self.deny: dict[str, DenyRules] = {}
        self._deny_raw: dict[str, Mapping[str, Any]] = {}
        # What the key manager refuses (revoked tokens, rules by client and user, inactive tenants),
        # kept as every control-plane service keeps it; an inactive tenant's APIs are not served.
        self.revocations = RevocationState()
        # Bumped on every change of key managers (the token layer rebuilds its index then).
        self.key_manager_version = 0
        self.empty_deny = DenyRules()
        self.empty_tiers = TenantTiers()

    # -- deployments ----------------------------------------------------------------------------

    def _global_policies(self, tenant: str) -> dict[str, list[Any]] | None:
        mappings = self.gateway_policies.get(tenant)
        if not mappings:
            return None
        merged: dict[str, list[Any]] = {flow: [] for flow in FLOWS}
        for mapping in mappings.values():
            for flow in FLOWS:
                merged[flow].extend(mapping.get(flow) or ())
        return merged

    def _compile(self, artifact: Mapping[str, Any]) -> CompiledApi | None:
        tenant = str(artifact.get("tenant") or DEFAULT_TENANT)
        try:
            return compile_api(
                artifact,
                self._global_policies(tenant),
                self.backend,
                self.default_vhost,
                self.policy_services,
            )
        except (PolicyConfigError, ValueError, KeyError, TypeError) as exc:
            logger.error(
                "cannot serve revision %s of API %s: %s", artifact.get("revisionId"), artifact.get("id"), exc
            )
            return None

    def _kept(self, before: RuntimeState, artifact: Mapping[str, Any]) -> CompiledApi | None:
        """``before``'s compiled API for ``artifact`` if it was compiled from an equal artifact
        under the same gateway policies: a snapshot pulled again (a resync, a part that came late)
        compiles only what changed, where compiling 10,000 APIs holds the event loop for seconds."""
        api_id = str(artifact.get("id"))
        compiled = before.apis.get(api_id)
        if compiled is None or before.artifacts.get(api_id) != artifact:
            return None
        tenant = str(artifact.get("tenant") or DEFAULT_TENANT)
        if before.gateway_policies.get(tenant) != self.gateway_policies.get(tenant):
            return None
        return compiled

    def _rebuild_router(self) -> None:
        self.router = Router(self.apis.values(), self.default_vhost)

    def deploy(self, artifact: Mapping[str, Any]) -> bool:
        """Serve this revision in place of the API's current one; False if it cannot be served."""
        environment = artifact.get("environment")
        if environment and environment != self.environment:
            return False
        lifecycle = str(artifact.get("lifeCycleStatus") or "").upper()
        api_id = str(artifact["id"])
        if str(artifact.get("tenant") or DEFAULT_TENANT) in self.inactive_tenants:
            self.undeploy(api_id)
            return True
        if lifecycle == "RETIRED":
            self.undeploy(api_id)
            return True
        compiled = self._compile(artifact)
        if compiled is None:
            return False
        self.artifacts[api_id] = artifact
        previous = self.apis.get(api_id)
        self.apis[api_id] = compiled
        # Only this API's entries change: the rest of the table is shared, not rebuilt.
        self.router = self.router.changed(previous, compiled)
        self._forget_responses(api_id)
        return True

    def serves_revision(self, api_id: str, revision_id: str, vhost: object = None) -> bool:
        """Whether ``revision_id`` of the API is what is served (on ``vhost``, when given)."""
        current = self.apis.get(api_id)
        return (
            current is not None
            and current.revision_id == revision_id
            and (vhost is None or current.vhost == str(vhost).lower())
        )

    def undeploy(self, api_id: str, revision_id: str | None = None) -> None:
        current = self.apis.get(api_id)
        if current is None or (revision_id and current.revision_id and current.revision_id != revision_id):
            return
        del self.apis[api_id]
        self.artifacts.pop(api_id, None)
        self.router = self.router.changed(current, None)
        self._forget_responses(api_id)

    @property
    def inactive_tenants(self) -> set[str]:
        return self.revocations.inactive_tenants

    def set_tenant_active(self, tenant: str, active: bool) -> None:
        """An inactive tenant's APIs stop being served (a reactivated tenant's come back with the
        next snapshot) and its tokens are refused."""
        tenant = tenant.lower()
        self.revocations.set_tenant_active(tenant, active)
        if active:
            return
        dropped = [i for i, a in self.artifacts.items() if str(a.get("tenant") or DEFAULT_TENANT) == tenant]
        for api_id in dropped:
            del self.apis[api_id]
            del self.artifacts[api_id]
            self.response_cache.drop_api(api_id)
        if dropped:
            self._rebuild_router()

    def set_lifecycle(self, api_id: str, state: str) -> None:
        artifact = self.artifacts.get(api_id)
        if artifact is None or str(artifact.get("lifeCycleStatus") or "").upper() == state.upper():
            # Unchanged (a replayed or redelivered event): nothing to compile again.
            return
        self.deploy({**artifact, "lifeCycleStatus": state})

    def set_gateway_policy(self, mapping: Mapping[str, Any], tenant: str) -> None:
        tenant = str(mapping.get("tenant") or tenant)
        flows = mapping.get("policyMapping") or {}
        self.gateway_policies.setdefault(tenant, {})[str(mapping["id"])] = {
            flow: list(flows.get(flow) or ()) for flow in FLOWS
        }
        self._recompile_tenant(tenant)

    def remove_gateway_policy(self, mapping_id: str, tenant: str) -> None:
        if self.gateway_policies.get(tenant, {}).pop(mapping_id, None) is not None:
            self._recompile_tenant(tenant)

    def _recompile_tenant(self, tenant: str) -> None:
        for api_id, artifact in list(self.artifacts.items()):
            if str(artifact.get("tenant") or DEFAULT_TENANT) == tenant:
                compiled = self._compile(artifact)
                if compiled is not None:
                    self.apis[api_id] = compiled
                    self.response_cache.drop_api(api_id)
        self._rebuild_router()

    def _forget_responses(self, api_id: str) -> None:
        """The API's cached answers, and those of the products it serves operations of, are stale."""
        cache = self.response_cache
        cache.drop_api(api_id)
        for other in self.apis.values():
            if other.is_product and other.cache_timeout is not None and other.serves(api_id):
                cache.drop_api(other.id)

    # -- applications, subscriptions, keys -------------------------------------------------------

    def upsert_application(self, raw: Mapping[str, Any], tenant: str) -> None:
        app_id = str(raw.get("applicationId") or raw.get("uuid") or raw.get("id"))
        self.applications[app_id] = Application(
            id=app_id,
            tenant=str(raw.get("tenant") or tenant),
            name=str(raw.get("name") or ""),
            owner=str(raw.get("owner") or raw.get("subscriber") or ""),
            tier=str(raw.get("throttlingPolicy") or raw.get("tier") or "Unlimited"),
            status=str(raw.get("status") or "APPROVED").upper(),
        )

    def remove_application(self, app_id: str) -> None:
        self.applications.pop(app_id, None)
        for key in [k for k in self.subscriptions if k[0] == app_id]:
            sub = self.subscriptions.pop(key)
            self._subscription_ids.pop(sub.id, None)
        for key in [k for k, m in self.key_mappings.items() if m.application_id == app_id]:
            del self.key_mappings[key]

    def upsert_subscription(self, raw: Mapping[str, Any]) -> None:
        app_id = str(raw.get("applicationId") or (raw.get("applicationInfo") or {}).get("applicationId"))
        api_id = str(raw.get("apiId") or (raw.get("apiInfo") or {}).get("id"))
        sub = Subscription(
            id=str(raw.get("subscriptionId") or f"{app_id}:{api_id}"),
            application_id=app_id,
            api_id=api_id,
            tier=str(raw.get("throttlingPolicy") or "Unlimited"),
            status=str(raw.get("status") or "UNBLOCKED").upper(),
        )
        previous = self._subscription_ids.get(sub.id)
        if previous is not None and previous != (app_id, api_id):
            self.subscriptions.pop(previous, None)
        self.subscriptions[(app_id, api_id)] = sub
        self._subscription_ids[sub.id] = (app_id, api_id)

    def remove_subscription(self, raw: Mapping[str, Any]) -> None:
        key = self._subscription_ids.pop(str(raw.get("subscriptionId")), None)
        if key is None and raw.get("applicationId") and raw.get("apiId"):
            key = (str(raw["applicationId"]), str(raw["apiId"]))
        if key is not None:
            self.subscriptions.pop(key, None)

    def add_key_mapping(self, raw: Mapping[str, Any]) -> None:
        mapping = KeyMapping(
            application_id=str(raw["applicationId"]),
            key_type=str(raw.get("keyType") or "PRODUCTION").upper(),
            key_manager=str(raw.get("keyManager") or "Resident Key Manager"),
            consumer_key=str(raw["consumerKey"]),
        )
        self.key_mappings[(mapping.key_manager, mapping.consumer_key)] = mapping

    def remove_key_mapping(self, raw: Mapping[str, Any]) -> None:
        key_manager = str(raw.get("keyManager") or "Resident Key Manager")
        self.key_mappings.pop((key_manager, str(raw.get("consumerKey"))), None)

    # -- key managers, tiers, deny policies --------------------------------------------------------

    def upsert_key_manager(self, raw: Mapping[str, Any], tenant: str) -> None:
        config = key_manager_config(raw, tenant)
        self.key_managers[config.id] = config
        self.key_manager_version += 1

    def remove_key_manager(self, raw: Mapping[str, Any]) -> None:
        key = str(raw.get("id") or raw.get("name"))
        if self.key_managers.pop(key, None) is not None:
            self.key_manager_version += 1

    def upsert_throttle_policy(self, policy_type: str, policy: Mapping[str, Any], tenant: str) -> None:
        tenant = str(policy.get("tenant") or tenant)
        name = str(policy["policyName"])
        self._raw_tiers[(tenant, policy_type, name)] = policy
        tiers = self.tiers.setdefault(tenant, TenantTiers())
        try:
            if policy_type == "advanced":
                tiers.advanced[name] = advanced_tier(policy)
            elif policy_type == "subscription":
                tiers.subscription[name] = subscription_tier(policy)
            elif policy_type == "application":
                tiers.application[name] = application_tier(policy)
            elif policy_type == "custom":
                rule = custom_rule(policy)
                if rule is not None and policy.get("isDeployed", True):
                    tiers.custom[name] = rule
                else:
                    tiers.custom.pop(name, None)
        except (ValueError, KeyError, TypeError) as exc:
            logger.error("ignoring throttling policy %s (%s): %s", name, policy_type, exc)

    def remove_throttle_policy(self, policy_type: str, policy: Mapping[str, Any], tenant: str) -> None:
        tenant = str(policy.get("tenant") or tenant)
        name = str(policy.get("policyName"))
        self._raw_tiers.pop((tenant, policy_type, name), None)
        tiers = self.tiers.get(tenant)
        if tiers is not None:
            getattr(tiers, policy_type, {}).pop(name, None)

    def upsert_deny_policy(self, raw: Mapping[str, Any], tenant: str) -> None:
        condition_id = str(raw.get("conditionId") or raw.get("uuid") or raw.get("conditionValue"))
        self._deny_raw[condition_id] = {**raw, "tenant": raw.get("tenant") or tenant}
        self._rebuild_deny()

    def remove_deny_policy(self, raw: Mapping[str, Any]) -> None:
        condition_id = str(raw.get("conditionId") or raw.get("uuid") or raw.get("conditionValue"))
        if self._deny_raw.pop(condition_id, None) is not None:
            self._rebuild_deny()

    def _rebuild_deny(self) -> None:
        deny: dict[str, DenyRules] = {}
        for raw in self._deny_raw.values():
            if not raw.get("conditionStatus", True):
                continue
            rules = deny.setdefault(str(raw["tenant"]), DenyRules())
            kind = str(raw.get("conditionType") or "").upper()
            value = _condition_value(raw.get("conditionValue"))
            try:
                if kind == "API":
                    rules.apis.add(str(value).rstrip("/"))
                elif kind == "APPLICATION":
                    rules.applications.add(str(value))
                elif kind == "USER":
                    rules.users.add(str(value))
                elif kind == "IP":
                    ip = str(value.get("fixedIp")) if isinstance(value, Mapping) else str(value)
                    if isinstance(value, Mapping) and value.get("invert"):
                        rules.inverted_ips.add(ip)
                    else:
                        rules.ips.add(ip)
                elif kind == "IPRANGE" and isinstance(value, Mapping):
                    rules.ip_ranges.append(
                        (
                            ipaddress.ip_address(str(value.get("startingIp"))),
                            ipaddress.ip_address(str(value.get("endingIp"))),
                            bool(value.get("invert")),
                        )
                    )
            except ValueError as exc:
                logger.error("ignoring deny policy %s: %s", raw.get("conditionId"), exc)
        self.deny = deny

    # -- revocation -------------------------------------------------------------------------------

    def is_revoked(
        self, jti: str | None, client_id: str | None, subject: str | None, issued_at: float
    ) -> bool:
        revocations = self.revocations
        if jti is not None and jti in revocations.jtis:
            return True
        # Subjects of the key manager's tokens are ``name@tenant``.
        inactive = revocations.inactive_tenants
        if inactive and subject and subject.rpartition("@")[2].lower() in inactive:
            return True
        if revocations.clients and client_id is not None:
            before = revocations.clients.get(client_id)
            if before is not None and issued_at < before:
                return True
        if revocations.users and subject is not None:
            before = revocations.users.get(subject)
            if before is None and "@" in subject:
                before = revocations.users.get(subject.rsplit("@", 1)[0])
            if before is not None and issued_at < before:
                return True
        return False

    # -- snapshot ---------------------------------------------------------------------------------

    def load_snapshot(self, snapshot: Mapping[str, Any], parts: Collection[str] = _SNAPSHOT_PARTS) -> None:
        """Replace the model's share of each part named (publisher, devportal, admin) with the
        snapshot's; the rest of the model stays as it is. A part that came later than the others
        replaces only its own share, so what the events changed in the others since they came
        stays served."""
        fresh = RuntimeState(
            environment=self.environment,
            default_vhost=self.default_vhost,
            backend=self.backend,
            policy_services=self.policy_services,
            response_cache=self.response_cache,
        )
        if "admin" in parts:
            admin = snapshot.get("admin") or {}
            for policy_type, policies in (admin.get("throttlePolicies") or {}).items():
                for policy in policies or ():
                    fresh.upsert_throttle_policy(policy_type, policy, DEFAULT_TENANT)
            for raw in admin.get("denyPolicies") or ():
                fresh.upsert_deny_policy(raw, DEFAULT_TENANT)
            for raw in admin.get("keyManagers") or ():
                fresh.upsert_key_manager(raw, DEFAULT_TENANT)
        if "devportal" in parts:
            devportal = snapshot.get("devportal") or {}
            for raw in devportal.get("applications") or ():
                fresh.upsert_application(raw, DEFAULT_TENANT)
            for raw in devportal.get("subscriptions") or ():
                fresh.upsert_subscription(raw)
            for raw in devportal.get("keyMappings") or ():
                fresh.add_key_mapping(raw)
        if "publisher" in parts:
            publisher = snapshot.get("publisher") or {}
            for mapping in publisher.get("gatewayPolicies") or ():
                tenant = str(mapping.get("tenant") or DEFAULT_TENANT)
                flows = mapping.get("policyMapping") or {}
                fresh.gateway_policies.setdefault(tenant, {})[str(mapping["id"])] = {
                    flow: list(flows.get(flow) or ()) for flow in FLOWS
                }
            for artifact in publisher.get("artifacts") or ():
                if str(artifact.get("tenant") or DEFAULT_TENANT) in self.inactive_tenants:
                    continue
                compiled = fresh._kept(self, artifact) or fresh._compile(artifact)
                if compiled is not None:
                    fresh.artifacts[compiled.id] = artifact
                    fresh.apis[compiled.id] = compiled
            fresh._rebuild_router()
        # Revocations are not in any snapshot: the ones learnt from events stay.
        for part in parts:
            for name in _SHARES[part]:
                setattr(self, name, getattr(fresh, name))
        self.key_manager_version += 1
        # A new model (even where its APIs were kept): no cached answer outlives the one it was kept for.
        self.response_cache.clear()
