"""A deployed revision compiled for serving: operations with their templates, policy chains,
scopes, throttling keys and backends. Built once per deployment (or when the tenant's global
policies change), never per request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apim_gateway.backends.endpoints import EndpointGroup, endpoint_groups
from apim_gateway.backends.mock import IMPLEMENTATIONS, MockOperation, Mocks
from apim_gateway.backends.security import BackendSecurity
from apim_gateway.graphql import VERBS as GRAPHQL_VERBS
from apim_gateway.graphql import CompiledSchema, compile_schema
from apim_gateway.policies import Chain, PolicyServices, compile_chain
from apim_gateway.runtime.client_certificates import MutualTls, compile_mutual_tls
from apim_gateway.runtime.cors import with_api_cors
from apim_gateway.runtime.templates import Template, compile_template
from apim_gateway.runtime.tiers import Limit, unit_seconds
from apim_gateway.runtime.validation import OperationValidation, compile_validation
from apim_gateway.soaptorest import SoapOperation, compile_operation, compile_operations
from apim_gateway.throttling import backend_key, resource_key

DEFAULT_TENANT = "carbon.super"
PRODUCT_TYPE = "APIPRODUCT"
WEBSOCKET_TYPE = "WS"
SSE_TYPE = "SSE"
GRAPHQL_TYPE = "GRAPHQL"
SOAP_TO_REST_TYPE = "SOAPTOREST"
# A GraphQL API answers POST and GET at its context (and any path below it).
GRAPHQL_ENTRY_VERBS = ("POST", "GET")
DEFAULT_CACHE_TIMEOUT = 300

# authType of an operation that needs no credentials (WSO2: "None"; the Publisher UI: "NONE").
_NO_AUTH = frozenset(("none", "NONE", "None"))


@dataclass(frozen=True, slots=True)
class BackendSettings:
    default_timeout: float
    failure_threshold: int
    open_for: float
    # Opens endpoint security secrets and fetches backend tokens; None: such revisions are refused.
    security: BackendSecurity | None = None


@dataclass(frozen=True, slots=True)
class SseSettings:
    # Seconds a stream may stay quiet before it is ended: the production endpoint's own
    # ``actionDuration`` when it sets one; None (the default) never cuts a quiet stream.
    idle_timeout: float | None = None


@dataclass(slots=True)
class Operation:
    verb: str
    target: str
    template: Template
    secured: bool
    scopes: frozenset[str]
    throttling_policy: str | None
    chain: Chain
    resource_key: str
    # API products: the member API whose backend serves this operation, and that API's endpoints
    # as the product's artifact carries them (else those of the member as deployed here).
    backend_api_id: str | None = None
    backends: dict[str, EndpointGroup] | None = None
    # Label children of the per-API metrics, bound on first use.
    label: str = ""
    # What a CORS preflight for this operation runs: its own chain, without credentials.
    preflight: Operation | None = None
    # MOCKED_OAS / INLINE: the answer compiled from the definition, served instead of the backend.
    mock: MockOperation | None = None
    # enableSchemaValidation: validators compiled from the definition; None costs nothing more.
    validation: OperationValidation | None = None
    # SOAPTOREST: the WSDL operation this resource calls; None for every other API.
    soap: SoapOperation | None = None
    # Decided once per deployment (``plan_operations``), so that the request path does not ask
    # per call; the defaults are the general path's. Whether a rate-limit level of the operation
    # (its API's or its own advanced tier) may read the call's headers, query and address:
    reads_call: bool = True
    # Whether the operation is a plain REST call: no GraphQL, SSE, mock, schema validation,
    # SOAPTOREST, response cache, client certificate or blocked lifecycle, taking the request
    # path's lean branch (``request/pipeline.py``).
    plain: bool = False
    # Whether the operation is served by its API's own endpoints (not a product's member's).
    own_backends: bool = False


@dataclass(slots=True)
class GraphQLApi:
    """A GraphQL API's schema and its operations, one per root field: the request path elects
    those a query selects, for their scopes, tiers and analytics (``request/graphql.py``)."""

    schema: CompiledSchema
    operations: dict[tuple[str, str], Operation]  # (QUERY | MUTATION | SUBSCRIPTION, field) -> op
    # Whether a query electing no operation (only ``__typename`` or introspection) needs
    # credentials: unless every operation is open, as in WSO2.
    secured: bool
    # Where subscriptions go over WebSocket, per key type: the HTTP endpoint as ws:// or wss://.
    subscription_endpoints: dict[str, str] = field(default_factory=dict)

    def elect(self, operation_type: str, fields: tuple[str, ...]) -> tuple[Operation, ...]:
        """The operations of the fields a query selects at its root (a field without an
        operation of its own has none: the API's security still applies)."""
        found = []
        for name in fields:
            op = self.operations.get((operation_type, name))
            if op is not None:
                found.append(op)
        return tuple(found)


@dataclass(slots=True)
class CompiledApi:
    id: str
    tenant: str
    name: str
    context: str  # without /t/{tenant}, with the version when the context holds {version}
    version: str
    is_default: bool
    lifecycle: str
    vhost: str
    revision_id: str
    is_product: bool
    security: frozenset[str]
    api_key_header: str  # lower-case
    api_key_query: str
    authorization_header: str  # lower-case
    key_managers: frozenset[str] | None  # None: every key manager of the tenant (and global ones)
    subscription_tiers: tuple[str, ...]
    api_throttling_policy: str | None
    backends: dict[str, EndpointGroup]
    max_tps: dict[str, Limit]
    backend_keys: dict[str, str]
    static_ops: dict[str, dict[str, Operation]]  # verb -> literal path -> op
    pattern_ops: dict[str, tuple[Operation, ...]]  # verb -> ops with parameters, specific first
    preflight: Operation
    version_in_context: bool
    artifact: Mapping[str, Any] = field(repr=False, default_factory=dict)
    # responseCachingEnabled: seconds an answer may be served from the response cache (its
    # cacheTimeout); None when caching is off, which costs the request path nothing more.
    cache_timeout: float | None = None
    # None unless ``securityScheme`` has ``mutualssl`` (``runtime/client_certificates.py``).
    mutual_tls: MutualTls | None = None
    # A WebSocket API (type ``WS``): its ws:// or wss:// backend per key type; its operations are
    # its topics (verbs SUBSCRIBE and PUBLISH). None for every other API.
    websocket: dict[str, str] | None = None
    # A WebSocket API's longest silence (no frame either way) before a connection is closed 1001:
    # its production endpoint's ``actionDuration``, as for an SSE API's streams. None: no cut.
    websocket_idle_timeout: float | None = None
    # A Server-Sent Events API (type ``SSE``): its streams are relayed event by event
    # (``request/sse.py``); its SUBSCRIBE topics answer GET. None for every other API.
    sse: SseSettings | None = None
    # A GraphQL API (type ``GRAPHQL``): its schema and operations; its routes are POST and GET.
    graphql: GraphQLApi | None = None
    # ``name:version``, the label of the API's metrics: one string per deployment, so each request
    # looks its series up with a hash computed once rather than building and hashing a new label.
    label: str = field(init=False, repr=False, compare=False, default="")
    # The API's own credential headers, which log policies must mask whatever their name.
    credential_headers: tuple[str, str] = field(init=False, repr=False, compare=False, default=("", ""))

    def __post_init__(self) -> None:
        self.label = self.name + ":" + self.version
        self.credential_headers = (self.authorization_header, self.api_key_header)

    @property
    def blocked(self) -> bool:
        return self.lifecycle == "BLOCKED"

    @property
    def prototyped(self) -> bool:
        return self.lifecycle == "PROTOTYPED"

    def preflight_for(self, headers: Iterable[tuple[str, str]], path: str) -> Operation:
        """The chain a preflight runs: that of the operation it asks about, else the API's."""
        for name, value in headers:
            if name == "access-control-request-method":
                matched = self.operation(value.strip().upper(), path)
                if matched is not None and matched[0].preflight is not None:
                    return matched[0].preflight
                break
        return self.preflight

    def serves(self, api_id: str) -> bool:
        """A product: whether one of its operations is served by that member API's backend."""
        for ops in self.static_ops.values():
            if any(op.backend_api_id == api_id for op in ops.values()):
                return True
        return any(op.backend_api_id == api_id for ops in self.pattern_ops.values() for op in ops)

    def operation(self, verb: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        ops = self.static_ops.get(verb)
        if ops is not None:
            op = ops.get(path)
            if op is not None:
                return op, {}
        for op in self.pattern_ops.get(verb, ()):
            params = op.template.match(path)
            if params is not None:
                return op, params
        return None


def split_tenant_context(context: str, tenant: str) -> str:
    """``/t/acme.com/pets`` -> ``/pets``: routes are kept per tenant without the prefix."""
    context = "/" + context.strip("/")
    prefix = f"/t/{tenant}"
    if context.startswith(prefix + "/"):
        context = context[len(prefix) :]
    return context


def _security(artifact: Mapping[str, Any]) -> frozenset[str]:
    schemes = artifact.get("securityScheme") or ["oauth2", "oauth_basic_auth_api_key_mandatory"]
    return frozenset(str(s) for s in schemes)


def _cache_timeout(artifact: Mapping[str, Any]) -> float | None:
    """``cacheTimeout`` (WSO2's default 300 s) when ``responseCachingEnabled``, else None."""
    if artifact.get("responseCachingEnabled") is not True:
        return None
    raw = artifact.get("cacheTimeout")
    timeout = DEFAULT_CACHE_TIMEOUT if raw is None else raw
    if type(timeout) is not int or timeout <= 0:
        raise ValueError(f"cacheTimeout must be a positive number of seconds, not {raw!r}")
    return float(timeout)


def _max_tps(raw: Any) -> dict[str, Limit]:
    limits: dict[str, Limit] = {}
    if not isinstance(raw, Mapping):
        return limits
    for key_type, name in (("PRODUCTION", "production"), ("SANDBOX", "sandbox")):
        value = raw.get(name)
        if value:
            unit = str(raw.get(f"{name}TimeUnit") or "SECOND")
            limits[key_type] = Limit(int(value), unit_seconds(unit))
    return limits


def _first_urls(config: Any) -> dict[str, str]:
    """The URL of the first endpoint per key type in an endpointConfig, where there is one."""
    found: dict[str, str] = {}
    if not isinstance(config, Mapping):
        return found
    for key_type, prefix in (("PRODUCTION", "production"), ("SANDBOX", "sandbox")):
        side = config.get(f"{prefix}_endpoints")
        if isinstance(side, list):
            side = side[0] if side else None
        url = str(side.get("url") or "") if isinstance(side, Mapping) else ""
        if url:
            found[key_type] = url
    return found


def _websocket_endpoints(config: Any) -> dict[str, str]:
    """A WS API's backend URL per key type, from its endpointConfig (ws:// or wss:// only)."""
    found = _first_urls(config)
    for url in found.values():
        if not url.lower().startswith(("ws://", "wss://")):
            raise ValueError(f"a WebSocket API's endpoint must be ws:// or wss://, not {url!r}")
    return found


def _is_sse(artifact: Mapping[str, Any]) -> bool:
    return str(artifact.get("type") or "").upper() == SSE_TYPE


def _idle_timeout(config: Any) -> float | None:
    """A streaming API's longest silence, in seconds: its production endpoint's ``actionDuration``
    (ms), for an SSE stream and a WebSocket connection alike; None (unset) never cuts."""
    side = config.get("production_endpoints") if isinstance(config, Mapping) else None
    if isinstance(side, list):
        side = side[0] if side else None
    endpoint_config = side.get("config") if isinstance(side, Mapping) else None
    duration = endpoint_config.get("actionDuration") if isinstance(endpoint_config, Mapping) else None
    return float(duration) / 1000 if duration else None


def _sse_settings(config: Any) -> SseSettings:
    """The idle cut of an SSE API's streams."""
    return SseSettings(idle_timeout=_idle_timeout(config))


def _member_mocks(raw: Any) -> dict[str | None, Mocks]:
    """An API product's member APIs answered from their definitions, by API id."""
    found: dict[str | None, Mocks] = {}
    for api_id, member in raw.items() if isinstance(raw, Mapping) else ():
        implementation = str(member.get("endpointImplementationType") or "ENDPOINT").upper()
        if implementation in IMPLEMENTATIONS:
            found[str(api_id)] = Mocks(member.get("definition"), implementation)
    return found


def _graphql_operation(
    raw: Mapping[str, Any], tenant: str, api_id: str, chain: Chain, everything: Template
) -> Operation:
    verb = str(raw.get("verb") or "").upper()
    name = str(raw.get("target") or "")
    if verb not in GRAPHQL_VERBS or not name:
        raise ValueError(f"a GraphQL operation is QUERY, MUTATION or SUBSCRIPTION on a field, not {raw!r}")
    return Operation(
        verb=verb,
        target=name,
        template=everything,
        secured=str(raw.get("authType") or "Any") not in _NO_AUTH,
        scopes=frozenset(str(s) for s in raw.get("scopes") or ()),
        throttling_policy=raw.get("throttlingPolicy"),
        chain=chain,
        resource_key=resource_key(tenant, api_id, verb, name),
    )


def _graphql(
    artifact: Mapping[str, Any], tenant: str, api_id: str, chain: Chain
) -> tuple[GraphQLApi, dict[str, list[Operation]]]:
    """The schema and operations of a GraphQL API, and its routes: POST and GET, whose chain
    is the API's (operation policies have no path to run on)."""
    everything = compile_template("/*")
    operations = {}
    for raw in artifact.get("operations") or ():
        op = _graphql_operation(raw, tenant, api_id, chain, everything)
        operations[(op.verb, op.target)] = op
    secured = not operations or any(op.secured for op in operations.values())
    routes = {
        verb: [
            Operation(
                verb=verb,
                target=everything.target,
                template=everything,
                secured=secured,
                scopes=frozenset(),
                throttling_policy=None,
                chain=chain,
                resource_key=resource_key(tenant, api_id, verb, everything.target),
            )
        ]
        for verb in GRAPHQL_ENTRY_VERBS
    }
    compiled = compile_schema(artifact)
    endpoints = _subscription_endpoints(artifact.get("endpointConfig"))
    return GraphQLApi(compiled, operations, secured, endpoints), routes


def _subscription_endpoints(config: Any) -> dict[str, str]:
    """A GraphQL API's backend for subscriptions: its http(s) endpoint per key type, as ws(s)."""
    found: dict[str, str] = {}
    for key_type, url in _first_urls(config).items():
        if url.lower().startswith(("http://", "https://")):
            found[key_type] = "ws" + url[4:]
        elif url.lower().startswith(("ws://", "wss://")):
            found[key_type] = url
    return found


def compile_api(
    artifact: Mapping[str, Any],
    global_policies: Mapping[str, Any] | None,
    backend: BackendSettings,
    default_vhost: str,
    services: PolicyServices | None = None,
) -> CompiledApi:
    """Raises ``PolicyConfigError`` / ``ValueError`` when the revision cannot be served."""
    global_policies = with_api_cors(global_policies, artifact.get("corsConfiguration"))
    tenant = str(artifact.get("tenant") or DEFAULT_TENANT)
    api_id = str(artifact["id"])
    version = str(artifact.get("version") or "")
    context = split_tenant_context(str(artifact["context"]), tenant)
    version_in_context = "{version}" in context
    if version_in_context:
        context = context.replace("{version}", version)
    api_policies = artifact.get("apiPolicies")
    is_product = str(artifact.get("type") or "").upper() == PRODUCT_TYPE
    static_ops: dict[str, dict[str, Operation]] = {}
    implementation = str(artifact.get("endpointImplementationType") or "ENDPOINT").upper()
    mocks = Mocks(artifact.get("definition"), implementation) if implementation in IMPLEMENTATIONS else None
    member_mocks = _member_mocks(artifact.get("memberImplementations")) if is_product else {}
    pattern_ops: dict[str, list[Operation]] = {}
    validating = artifact.get("enableSchemaValidation") is True
    validations = compile_validation(artifact.get("definition")) if validating else None
    sse = _sse_settings(artifact.get("endpointConfig")) if _is_sse(artifact) else None
    graphql: GraphQLApi | None = None
    if str(artifact.get("type") or "").upper() == GRAPHQL_TYPE:
        chain = compile_chain(global_policies, api_policies, None, services)
        graphql, pattern_ops = _graphql(artifact, tenant, api_id, chain)
    soap_to_rest = str(artifact.get("type") or "").upper() == SOAP_TO_REST_TYPE
    soap_operations = compile_operations(artifact.get("soapToRest")) if soap_to_rest else {}
    for raw in () if graphql is not None else artifact.get("operations") or ():
        verb = str(raw.get("verb") or "GET").upper()
        template = compile_template(str(raw.get("target") or "/*"))
        op = Operation(
            verb=verb,
            target=template.target,
            template=template,
            secured=str(raw.get("authType") or "Any") not in _NO_AUTH,
            scopes=frozenset(str(s) for s in raw.get("scopes") or ()),
            throttling_policy=raw.get("throttlingPolicy"),
            chain=compile_chain(global_policies, api_policies, raw.get("operationPolicies"), services),
            resource_key=resource_key(tenant, api_id, verb, template.target),
            backend_api_id=str(raw["apiId"]) if is_product and raw.get("apiId") else None,
            backends=endpoint_groups(
                raw.get("endpointConfig"),
                default_timeout=backend.default_timeout,
                failure_threshold=backend.failure_threshold,
                open_for=backend.open_for,
                security=backend.security,
            )
            if is_product and raw.get("endpointConfig")
            else None,
        )
        if mocks is not None and not is_product:
            op.mock = mocks.operation(verb, template.target)
        elif op.backend_api_id in member_mocks:
            op.mock = member_mocks[op.backend_api_id].operation(verb, template.target)
        if soap_operations:
            op.soap = soap_operations.get((verb, template.target))
        elif is_product and raw.get("soapToRest"):  # an operation of a SOAPTOREST member API
            op.soap = compile_operation(raw["soapToRest"])
        if validations is not None:
            declared = validations.get((verb, str(raw.get("target"))))
            op.validation = declared or validations.get((verb, template.target))
        if op.chain.request:
            op.preflight = Operation(
                verb="OPTIONS",
                target=template.target,
                template=template,
                secured=False,
                scopes=frozenset(),
                throttling_policy=None,
                chain=op.chain,
                resource_key=resource_key(tenant, api_id, "OPTIONS", template.target),
            )
        if sse is not None and verb == "SUBSCRIBE":
            verb = "GET"  # a client subscribes to an SSE topic with a GET
        if template.literal is not None:
            static_ops.setdefault(verb, {}).setdefault(template.literal, op)
        else:
            pattern_ops.setdefault(verb, []).append(op)
    preflight_template = compile_template("/*")
    preflight = Operation(
        verb="OPTIONS",
        target=preflight_template.target,
        template=preflight_template,
        secured=False,
        scopes=frozenset(),
        throttling_policy=None,
        chain=compile_chain(global_policies, api_policies, None, services),
        resource_key=resource_key(tenant, api_id, "OPTIONS", "/*"),
    )
    key_managers = artifact.get("keyManagers")
    names = frozenset(str(k) for k in key_managers or ())
    api_key_header = str(artifact.get("apiKeyHeader") or "apikey")
    websocket = str(artifact.get("type") or "").upper() == WEBSOCKET_TYPE
    groups = (
        {}
        if websocket
        else endpoint_groups(
            artifact.get("endpointConfig"),
            default_timeout=backend.default_timeout,
            failure_threshold=backend.failure_threshold,
            open_for=backend.open_for,
            security=backend.security,
        )
    )
    max_tps = _max_tps(artifact.get("maxTps"))
    compiled = CompiledApi(
        id=api_id,
        tenant=tenant,
        name=str(artifact.get("name") or api_id),
        context=context,
        version=version,
        is_default=bool(artifact.get("isDefaultVersion")),
        lifecycle=str(artifact.get("lifeCycleStatus") or "PUBLISHED").upper(),
        vhost=str(artifact.get("vhost") or default_vhost).lower(),
        revision_id=str(artifact.get("revisionId") or ""),
        is_product=is_product,
        security=_security(artifact),
        mutual_tls=compile_mutual_tls(_security(artifact), artifact.get("clientCertificates")),
        api_key_header=api_key_header.lower(),
        api_key_query=api_key_header,
        authorization_header=str(artifact.get("authorizationHeader") or "Authorization").lower(),
        key_managers=None if not names or "all" in names else names,
        subscription_tiers=tuple(str(p) for p in artifact.get("policies") or ()),
        api_throttling_policy=artifact.get("apiThrottlingPolicy") or None,
        backends=groups,
        max_tps=max_tps,
        backend_keys={k: backend_key(tenant, api_id, k) for k in max_tps},
        static_ops=static_ops,
        pattern_ops={
            verb: tuple(sorted(ops, key=lambda o: -o.template.specificity))
            for verb, ops in pattern_ops.items()
        },
        preflight=preflight,
        version_in_context=version_in_context,
        artifact=artifact,
        cache_timeout=_cache_timeout(artifact),
        websocket=_websocket_endpoints(artifact.get("endpointConfig")) if websocket else None,
        websocket_idle_timeout=_idle_timeout(artifact.get("endpointConfig")) if websocket else None,
        sse=sse,
        graphql=graphql,
    )
    plan_operations(compiled)
    return compiled


def plan_operations(api: CompiledApi) -> None:
    """What the request path decides per operation, decided here once for the deployment."""
    ops = [api.preflight]
    for by_path in api.static_ops.values():
        ops.extend(by_path.values())
    for patterns in api.pattern_ops.values():
        ops.extend(patterns)
    if api.graphql is not None:
        ops.extend(api.graphql.operations.values())
    ops.extend([op.preflight for op in ops if op.preflight is not None])
    plain_api = (
        api.graphql is None
        and api.sse is None
        and api.websocket is None
        and api.cache_timeout is None
        and api.mutual_tls is None
        and not api.blocked
    )
    for op in ops:
        op.reads_call = api.api_throttling_policy is not None or op.throttling_policy is not None
        op.plain = plain_api and op.mock is None and op.validation is None and op.soap is None
        op.own_backends = op.backends is None and op.backend_api_id is None
