"""One request's analytics event in WSO2's shape (its ``apim_event_response`` / ``apim_event_faulty``).

The request path only keeps a ``RequestRecord`` (a tuple: the ``Outcome`` and four values) on the
analytics queue; the queue's drain builds the events of all it holds in one pass, off the
response's way. What
the request did not learn is read from what the gateway already holds: the API's creator, type
and tenant from the deployed revision (worked out once per revision), the application's name and
owner from the applications synced from the control plane. Never a network call.

Field names and types are WSO2's (carbon-apimgt's analytics ``Event``): latencies in whole
milliseconds, ``requestTimestamp`` ISO-8601 UTC with milliseconds, ``errorCode`` an int,
``targetResponseCode`` -1 when the backend was not reached. A request the gateway refused or
failed is a ``fault`` event with WSO2's ``errorType`` (fault category) and, as ``errorMessage``,
the sub-category; every other request, whatever the backend answered, is a ``response`` event.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from apim_common.events.envelope import CloudEvent
from apim_gateway.context import AuthContext
from apim_gateway.observability import REQUEST_EVENT, built_event, new_event_id, new_event_ids
from apim_gateway.request.outcome import Outcome
from apim_gateway.runtime.apis import CompiledApi
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.throttling import ThrottleLevel, throttle_error

GATEWAY_TYPE = "SYNAPSE"  # WSO2's name for its regular gateway, whose behaviour this one follows
REGION_ID = "default"
PRODUCT_TYPE = "APIPRODUCT"

AUTH, THROTTLED, TARGET_CONNECTIVITY, OTHER = "AUTH", "THROTTLED", "TARGET_CONNECTIVITY", "OTHER"
UNCLASSIFIED = "UNCLASSIFIED"
# WSO2's fault categories and sub-categories (carbon-apimgt ``FaultCategory``/``FaultSubCategories``)
# of our gateway error codes; a code not listed falls to its prefix's category, sub-category OTHER.
ERROR_CATEGORIES: dict[str, tuple[str, str]] = {
    "900900": (AUTH, "AUTHENTICATION_FAILURE"),
    "900901": (AUTH, "AUTHENTICATION_FAILURE"),
    "900902": (AUTH, "AUTHENTICATION_FAILURE"),
    "900903": (AUTH, "AUTHENTICATION_FAILURE"),
    "900904": (AUTH, "AUTHENTICATION_FAILURE"),
    "900905": (AUTH, "AUTHENTICATION_FAILURE"),
    "900907": (AUTH, "SUBSCRIPTION_VALIDATION_FAILURE"),
    "900908": (AUTH, "SUBSCRIPTION_VALIDATION_FAILURE"),
    "900909": (AUTH, "SUBSCRIPTION_VALIDATION_FAILURE"),
    "900910": (AUTH, "AUTHORIZATION_FAILURE"),
    "900906": (OTHER, "RESOURCE_NOT_FOUND"),
    "900800": (THROTTLED, "API_LEVEL_LIMIT_EXCEEDED"),
    "900801": (THROTTLED, "HARD_LIMIT_EXCEEDED"),
    "900802": (THROTTLED, "RESOURCE_LEVEL_LIMIT_EXCEEDED"),
    "900803": (THROTTLED, "APPLICATION_LEVEL_LIMIT_EXCEEDED"),
    "900804": (THROTTLED, "SUBSCRIPTION_LIMIT_EXCEEDED"),
    "900805": (THROTTLED, "BLOCKED"),
    "900806": (THROTTLED, "CUSTOM_POLICY_LIMIT_EXCEEDED"),
    "900807": (THROTTLED, "BURST_CONTROL_LIMIT_EXCEEDED"),
    "900809": (THROTTLED, "BURST_CONTROL_LIMIT_EXCEEDED"),
    "900820": (THROTTLED, "QUERY_TOO_DEEP"),
    "900821": (THROTTLED, "QUERY_TOO_COMPLEX"),
    "101504": (TARGET_CONNECTIVITY, "CONNECTION_TIMEOUT"),
    "101505": (TARGET_CONNECTIVITY, "CONNECTION_TIMEOUT"),
    "303001": (TARGET_CONNECTIVITY, "CONNECTION_SUSPENDED"),
    "404": (OTHER, "RESOURCE_NOT_FOUND"),
    "405": (OTHER, "METHOD_NOT_ALLOWED"),
}
_PREFIX_CATEGORIES = (
    ("9009", AUTH),
    ("9008", THROTTLED),
    ("1015", TARGET_CONNECTIVITY),
    ("3030", TARGET_CONNECTIVITY),
)
_UNREACHABLE = "101503"
# ".000Z" to ".999Z": a timestamp's milliseconds, looked up rather than formatted per event.
_MILLIS = tuple(f".{n:03d}Z" for n in range(1000))
_from_timestamp = datetime.fromtimestamp
# A response event's fields, in WSO2's order (``ApiFields.template``); a fault adds four.
_EVENT_FIELDS = (
    "apiId", "apiName", "apiVersion", "apiType", "apiContext", "apiCreator", "apiCreatorTenantDomain",
    "apiMethod", "apiResourceTemplate", "applicationId", "applicationName", "applicationOwner",
    "keyType", "userName", "userIp", "userAgent", "userAgentHeader", "platform", "correlationId",
    "destination", "proxyResponseCode", "targetResponseCode", "responseLatency", "backendLatency",
    "requestMediationLatency", "responseMediationLatency", "responseCacheHit", "regionId",
    "gatewayType", "eventType", "requestTimestamp", "properties", "gatewayId",
)  # fmt: skip
_SUSPENDED = (TARGET_CONNECTIVITY, "CONNECTION_SUSPENDED")
# The request headers an event reads: the User-Agent, and WSO2's correlation id headers.
_READ_HEADERS = frozenset({b"user-agent", b"activityid", b"x-correlation-id"})


def error_category(code: str) -> tuple[str, str]:
    """WSO2's ``(errorType, sub-category)`` of one of our error codes."""
    found = ERROR_CATEGORIES.get(code)
    if found is not None:
        return found
    for prefix, category in _PREFIX_CATEGORIES:
        if code.startswith(prefix):
            return category, OTHER
    return OTHER, UNCLASSIFIED


# User agents as ua-parser names them (WSO2 parses the header with it): browser family as
# ``userAgent``, operating system family as ``platform``. First match wins.
_BROWSERS = tuple(
    (re.compile(pattern), family)
    for pattern, family in (
        (r"Edg(e|A|iOS)?/", "Edge"),
        (r"OPR/|Opera", "Opera"),
        (r"SamsungBrowser/", "Samsung Internet"),
        (r"FxiOS/", "Firefox iOS"),
        (r"Firefox/", "Firefox"),
        (r"CriOS/", "Chrome Mobile iOS"),
        (r"Chrome/[\d.]+ Mobile", "Chrome Mobile"),
        (r"Chrome/", "Chrome"),
        (r"Version/[\d.]+.*Mobile/.*Safari/", "Mobile Safari"),
        (r"Version/[\d.]+.*Safari/", "Safari"),
        (r"MSIE |Trident/", "IE"),
        (r"^curl/", "curl"),
        (r"^Wget/", "Wget"),
        (r"^PostmanRuntime/", "PostmanRuntime"),
        (r"^python-requests/", "Python Requests"),
        (r"^okhttp/", "okhttp"),
        (r"^Apache-HttpClient/", "Apache-HttpClient"),
        (r"^Java/", "Java"),
    )
)
_PLATFORMS = tuple(
    (re.compile(pattern), family)
    for pattern, family in (
        (r"Windows", "Windows"),
        (r"iPhone|iPad|iPod", "iOS"),
        (r"Android", "Android"),
        (r"Mac OS X|Macintosh", "Mac OS X"),
        (r"CrOS", "Chrome OS"),
        (r"Ubuntu", "Ubuntu"),
        (r"Linux", "Linux"),
    )
)
_KNOWN_AGENTS = 4096  # distinct User-Agent values remembered; clients send few
_agents: dict[str, tuple[str, str]] = {}


def user_agent(header: str) -> tuple[str, str]:
    """``(userAgent, platform)`` of a User-Agent header, as WSO2 reports them."""
    known = _agents.get(header)
    if known is None:
        browser = next((family for pattern, family in _BROWSERS if pattern.search(header)), "Other")
        platform = next((family for pattern, family in _PLATFORMS if pattern.search(header)), "Other")
        known = (browser, platform)
        if len(_agents) >= _KNOWN_AGENTS:
            _agents.clear()
        _agents[header] = known
    return known


# ``(applicationId, applicationName, applicationOwner, keyType, userName)`` of a caller
Caller = tuple[str | None, str | None, str | None, str | None, str | None]
_NO_CALLER: Caller = (None, None, None, None, None)
_NOT_LOOKED_UP = object()
# What the request path queues per request (``observe``), for ``EventBuilder.build_requests``: the
# outcome, the method, the client's address, the duration in seconds and its end on
# ``perf_counter``. A plain tuple: it costs the request less than any object.
RequestRecord = tuple[Outcome, str, str, float, float]


class ApiFields:
    """What the event says of an API, worked out once per deployed revision, and ``template``:
    an event's fields in their order, those of the API and the gateway already set, which each
    event copies and fills (a copy costs less than half of building the dict)."""

    __slots__ = ("context", "creator", "destinations", "kind", "template", "tenant_domain")

    def __init__(self, api: CompiledApi, gateway_id: str) -> None:
        artifact = api.artifact
        self.creator = str(artifact.get("provider") or "") or None
        self.tenant_domain = api.tenant
        self.kind = PRODUCT_TYPE if api.is_product else str(artifact.get("type") or "HTTP")
        self.context = "/" + api.context.strip("/") if api.version_in_context else _with_version(api)
        # The endpoint a call of each key type goes to first (WSO2's ``destination``).
        self.destinations = {
            key_type: group.endpoints[0].url for key_type, group in api.backends.items() if group.endpoints
        }
        self.template: dict[str, Any] = dict.fromkeys(_EVENT_FIELDS)
        self.template.update(
            apiId=api.id,
            apiName=api.name,
            apiVersion=api.version,
            apiType=self.kind,
            apiContext=self.context,
            apiCreator=self.creator,
            apiCreatorTenantDomain=self.tenant_domain,
            regionId=REGION_ID,
            gatewayType=GATEWAY_TYPE,
            eventType="response",
            gatewayId=gateway_id,
        )


def _with_version(api: CompiledApi) -> str:
    return f"/{api.context.strip('/')}/{api.version}"


class EventBuilder:
    """Builds the events of one gateway; its per-revision memo lives as long as the gateway."""

    def __init__(self, state: RuntimeState, gateway_id: str) -> None:
        self.state = state
        self.gateway_id = gateway_id
        self.source = f"/gateway/{gateway_id}"
        self._apis: dict[tuple[str, str], ApiFields] = {}
        self._second = -1
        self._second_text = ""

    def api_fields(self, api: CompiledApi) -> ApiFields:
        key = (api.id, api.revision_id)
        fields = self._apis.get(key)
        if fields is None:
            if len(self._apis) >= 10_000:
                self._apis.clear()
            fields = self._apis[key] = ApiFields(api, self.gateway_id)
        return fields

    def timestamp(self, at: float) -> str:
        """ISO-8601 UTC with milliseconds, e.g. ``2022-01-20T03:34:36.451Z``."""
        second = int(at)
        if second != self._second:
            self._new_second(second)
        return self._second_text + _MILLIS[int((at - second) * 1000)]

    def _new_second(self, second: int) -> None:
        self._second = second
        self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))

    def build_requests(self, records: Sequence[RequestRecord], wall_offset: float) -> list[CloudEvent]:
        """The events of ``records``, in one pass: ids drawn for all at once, each API's fields
        and each caller's looked up once for a run of its records. ``wall_offset`` turns a
        record's ``perf_counter`` end into the wall clock (``time.time() - time.perf_counter()``)."""
        events: list[CloudEvent] = []
        append = events.append
        state, source, event_data, api_fields = self.state, self.source, self.event_data, self.api_fields
        ids = new_event_ids(len(records))
        last_api: CompiledApi | None = None
        fields: ApiFields | None = None
        last_auth: object = _NOT_LOOKED_UP
        caller: Caller = _NO_CALLER
        for (outcome, method, client_ip, elapsed, end), event_id in zip(records, ids, strict=True):
            api = outcome.api
            assert api is not None  # only a routed request is recorded
            if api is not last_api:
                last_api, fields = api, api_fields(api)
            assert fields is not None
            auth = outcome.auth
            if auth is not last_auth:
                last_auth, caller = auth, caller_fields(state, auth)
            key_type = caller[3]
            content_type = None
            for name, value in outcome.response_headers:
                if len(name) == 12 and name.lower() == b"content-type":
                    content_type = value.decode("latin-1")
                    break
            # Latencies in whole ms; mediation is the rest of the total, so the parts add up.
            total = round(elapsed * 1000)
            backend_start = outcome.backend_start
            if backend_start:
                backend = round(((outcome.backend_end or end) - backend_start) * 1000)
                if backend > total:
                    backend = total
                request_mediation = round((backend_start - (end - elapsed)) * 1000)
                if request_mediation > total - backend:
                    request_mediation = total - backend
                elif request_mediation < 0:
                    request_mediation = 0
            else:
                backend, request_mediation = 0, total
            cache_hit = outcome.cache_hit
            at = end + wall_offset
            data = event_data(
                fields,
                event_id,
                at,
                method,
                outcome.resource,
                caller,
                client_ip,
                outcome.request_headers,
                fields.destinations.get(key_type or "PRODUCTION"),
                outcome.status,
                -1 if cache_hit else outcome.target_status,
                total,
                backend,
                request_mediation,
                cache_hit,
                {
                    "requestSize": outcome.request_size,  # read by ``observe`` for the metrics too
                    "responseSize": outcome.response_size,
                    "responseContentType": content_type,
                    "isEgress": False,
                },
            )
            code = outcome.code
            if code is not None:
                category = error_category(code)
                if code == _UNREACHABLE and self._suspended(api, key_type):
                    category = _SUSPENDED
                _mark_fault(data, code, category)
            # Built without validation: every field is ours and already of the right type.
            append(
                built_event(
                    event_id, source, REQUEST_EVENT, _from_timestamp(at, UTC), api.id, api.tenant, data
                )
            )
        return events

    def event_data(
        self,
        fields: ApiFields,
        event_id: str,
        at: float,
        method: str,
        resource: str,
        caller: Caller,
        client_ip: str,
        request_headers: list[tuple[bytes, bytes]],
        destination: str | None,
        proxy_status: int,
        target_status: int,
        total: int,
        backend: int,
        request_mediation: int,
        cache_hit: bool,
        properties: dict[str, Any],
    ) -> dict[str, Any]:
        """The fields of a ``response`` event, a request's or a stream's, of the API ``fields``
        describe; ``total``, ``backend`` and ``request_mediation`` are latencies in whole ms.
        Positional: one event costs a few us, and keywords would add a tenth of it."""
        app_id, app_name, app_owner, key_type, user = caller
        agent_header = correlation = None
        for name, value in request_headers:
            if name in _READ_HEADERS:  # one set lookup for the headers read from, most are not
                if name == b"user-agent":
                    agent_header = value.decode("latin-1")
                else:
                    correlation = value.decode("latin-1")
        second = int(at)
        if second != self._second:
            self._new_second(second)
        data = fields.template.copy()
        data["apiMethod"] = method
        data["apiResourceTemplate"] = resource
        data["applicationId"] = app_id
        data["applicationName"] = app_name
        data["applicationOwner"] = app_owner
        data["keyType"] = key_type
        data["userName"] = user
        data["userIp"] = client_ip
        if agent_header:
            data["userAgent"], data["platform"] = user_agent(agent_header)
            data["userAgentHeader"] = agent_header
        data["correlationId"] = correlation or event_id
        data["destination"] = destination
        data["proxyResponseCode"] = proxy_status
        data["targetResponseCode"] = target_status
        data["responseLatency"] = total
        data["backendLatency"] = backend
        data["requestMediationLatency"] = request_mediation
        data["responseMediationLatency"] = total - backend - request_mediation
        data["responseCacheHit"] = cache_hit
        data["requestTimestamp"] = self._second_text + _MILLIS[int((at - second) * 1000)]
        data["properties"] = properties
        return data

    @staticmethod
    def _suspended(api: CompiledApi, key_type: str | None) -> bool:
        """Every endpoint of the call's side was behind an open circuit already (WSO2's suspended
        endpoint): a breaker counts a failure past its threshold only while it is open."""
        group = api.backends.get(key_type or "PRODUCTION")
        if group is None or not group.endpoints:
            return False
        return all(endpoint.breaker.failures > endpoint.breaker.threshold for endpoint in group.endpoints)


# -- streaming APIs ------------------------------------------------------------------------------
# A WebSocket connection or an SSE stream is one ``response`` event once it has ended, and each
# frame or event refused by a limit one ``fault`` event (THROTTLED), as WSO2 publishes them: the
# fields of a request's event, with WSO2's names and types, and what is the stream's own (frames
# and bytes each way, duration, close code) in ``properties``, as WSO2's ``properties`` map holds
# what its fixed fields do not.

_THROTTLED_STATUS = 429


class StreamRecord:
    """What a stream leaves on the analytics queue when it ends (or a frame is throttled): built
    into its event by the drain, as a ``RequestRecord`` is.

    ``latencies`` are the handshake's, in seconds: total until the client was answered, the
    backend's part, and the gateway's part before the backend was called."""

    __slots__ = (
        "api",
        "at",
        "auth",
        "builder",
        "client_ip",
        "destination",
        "error_code",
        "headers",
        "latencies",
        "method",
        "properties",
        "proxy_status",
        "resource",
        "target_status",
        "type",
    )

    def __init__(
        self,
        builder: EventBuilder,
        type_: str,
        api: CompiledApi,
        method: str,
        resource: str,
        auth: AuthContext,
        client_ip: str,
        headers: list[tuple[bytes, bytes]],
        *,
        at: float,
        proxy_status: int,
        target_status: int,
        latencies: tuple[float, float, float],
        destination: str | None,
        properties: dict[str, Any],
        error_code: str | None = None,
    ) -> None:
        self.builder = builder
        self.type = type_
        self.api = api
        self.method = method
        self.resource = resource
        self.auth = auth
        self.client_ip = client_ip
        self.headers = headers
        self.at = at
        self.proxy_status = proxy_status
        self.target_status = target_status
        self.latencies = latencies
        self.destination = destination
        self.properties = properties
        self.error_code = error_code

    def build(self) -> CloudEvent:
        return build_stream_event(self)


def throttled_record(
    builder: EventBuilder,
    type_: str,
    api: CompiledApi,
    method: str,
    resource: str,
    auth: AuthContext,
    client_ip: str,
    headers: list[tuple[bytes, bytes]],
    level: ThrottleLevel,
    *,
    destination: str | None,
    properties: dict[str, Any],
) -> StreamRecord:
    """The fault event of one frame or event refused by ``level``: it never reached its peer."""
    return StreamRecord(
        builder,
        type_,
        api,
        method,
        resource,
        auth,
        client_ip,
        headers,
        at=time.time(),
        proxy_status=_THROTTLED_STATUS,
        target_status=-1,
        latencies=(0.0, 0.0, 0.0),
        destination=destination,
        properties=properties,
        error_code=throttle_error(level).code,
    )


def build_stream_event(record: StreamRecord) -> CloudEvent:
    builder, api = record.builder, record.api
    total_s, backend_s, before_s = record.latencies
    total = round(total_s * 1000)
    backend = min(round(backend_s * 1000), total)
    request_mediation = min(round(before_s * 1000), total - backend)
    event_id = new_event_id()
    data = builder.event_data(
        builder.api_fields(api),
        event_id,
        record.at,
        record.method,
        record.resource,
        caller_fields(builder.state, record.auth),
        record.client_ip,
        record.headers,
        record.destination,
        record.proxy_status,
        record.target_status,
        total,
        backend,
        request_mediation,
        False,
        {"isEgress": False, **record.properties},
    )
    code = record.error_code
    if code is not None:
        _mark_fault(data, code, error_category(code))
    at = datetime.fromtimestamp(record.at, UTC)
    return built_event(event_id, builder.source, record.type, at, api.id, api.tenant, data)


def caller_fields(state: RuntimeState, auth: AuthContext | None) -> Caller:
    """``(applicationId, applicationName, applicationOwner, keyType, userName)`` of a caller."""
    if auth is None:
        return None, None, None, None, None
    app_id, app_name, user = auth.application_id, auth.application_name, auth.subscriber
    app_owner = None
    key_type = auth.key_type if auth.auth_type != "none" else None
    if app_id is not None:
        app = state.applications.get(app_id)
        if app is not None:
            app_name, app_owner = app.name, app.owner or None
        else:  # an API key of an application not synced: what the key says
            claimed = auth.claims.get("application")
            if isinstance(claimed, dict) and claimed.get("owner"):
                app_owner = str(claimed["owner"])
    return app_id, app_name, app_owner, key_type, user


def _mark_fault(data: dict[str, Any], code: str, category: tuple[str, str]) -> None:
    """Turn a ``response`` event's fields into a ``fault``'s with WSO2's category of ``code``."""
    data["eventType"] = "fault"
    data["errorType"] = category[0]
    data["errorCode"] = int(code) if code.isdigit() else code
    data["errorMessage"] = category[1]
