"""The WebSub hub of WebSub APIs (type ``WEBSUB``), on the gateway's traffic port.

Two URLs per API, as WSO2 serves them:

- ``POST /{context}/{version}``: a subscriber's ``hub.mode`` (subscribe / unsubscribe),
  ``hub.topic``, ``hub.callback``, ``hub.lease_seconds`` and ``hub.secret``, form-encoded (or in
  the query), with an OAuth token like any call: the application and its subscription to the
  API come from the token. Answered 202; the intent is then verified by a GET to the callback
  carrying ``hub.challenge``, and only a 2xx echoing it activates the subscription.
- ``POST /{context}/{version}/webhooks_events_receiver_resource?topic=...``: a provider's event,
  checked against the API's ``websubSubscriptionConfiguration`` signature, answered 202, then
  fanned out (``delivery.py``).

A topic is one of the API's operations (verbs SUBSCRIBE or PUBLISH), matched as a path. Active
subscribers per application subscription are capped by its tier's ``subscriberCount``
(docs/decisions/0020-websub-subscriber-cap.md). Verified subscriptions, renewals,
unsubscriptions and expired leases are published as ``webhook-subscription.*`` events, which
every gateway and the Developer Portal consume (``sync.py``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from starlette.types import Receive, Scope, Send

from apim_common import crypto_policy
from apim_common.crypto_policy import CryptoPolicyError
from apim_common.events.bus import EventBus
from apim_common.events.envelope import new_event
from apim_common.events.topics import Topic
from apim_common.events.webhooks import CREATED, DELETED, DELIVERED, WebhookDeliveryData
from apim_common.outbound import OutboundPolicy, OutboundRefused, checked_address, system_resolver
from apim_common.sealed import SealedSecretError, SecretBox, is_sealed
from apim_common.tasks import cancel_and_wait
from apim_gateway.context import AuthContext, Headers
from apim_gateway.errors import (
    BAD_REQUEST,
    INVALID_CREDENTIALS,
    MISSING_CREDENTIALS,
    NO_MATCHING_RESOURCE,
    PAYLOAD_TOO_LARGE,
    RESOURCE_FORBIDDEN,
    GatewayError,
    send_error,
)
from apim_gateway.request.authenticate import authenticate
from apim_gateway.request.authorize import authorize
from apim_gateway.request.deny import deny_api, deny_caller
from apim_gateway.request.lifecycle import check_lifecycle
from apim_gateway.request.outcome import Outcome
from apim_gateway.request.services import Services
from apim_gateway.request.subscription import check_subscription
from apim_gateway.runtime.apis import DEFAULT_TENANT, CompiledApi, Operation
from apim_gateway.runtime.router import Router
from apim_gateway.websub.delivery import Deliverer, Event
from apim_gateway.websub.registry import Registry, Subscriber, subscriber_id
from apim_gateway.websub.signatures import algorithm_name, verify
from apim_gateway.websub.sync import SubscriberSync

logger = logging.getLogger(__name__)

WEBSUB_TYPE = "WEBSUB"
EVENTS_RESOURCE = "/webhooks_events_receiver_resource"
TOPIC_VERBS = ("SUBSCRIBE", "PUBLISH")
SUBSCRIBERS_REACHED = ("900804", "Message throttled out")
_SOURCE = "/gateway/websub"
_MAX_FORM = 16 * 1024
_MAX_SECRET = 200  # bytes, as the WebSub recommendation bounds hub.secret
_MAX_CALLBACK = 2048
_SWEEP_EVERY = 30.0
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Signing:
    """How a provider signs its events (the API's ``websubSubscriptionConfiguration``)."""

    header: str  # lower-case
    algorithm: str  # a hashlib name
    secret: bytes


@dataclass(frozen=True, slots=True)
class WebSubApi:
    api: CompiledApi
    # None: events are taken unsigned (the configuration is off).
    signing: Signing | None
    # Why the configuration cannot be honoured (events are then refused, never taken unchecked).
    broken: str | None = None


@dataclass(frozen=True, slots=True)
class HubSettings:
    verify_timeout: float
    default_lease: int
    max_lease: int
    max_event_body: int


def compile_websub(api: CompiledApi, box: SecretBox) -> WebSubApi:
    raw = api.artifact.get("websubSubscriptionConfiguration")
    if not isinstance(raw, Mapping) or raw.get("enable") is not True:
        return WebSubApi(api, None)
    secret = str(raw.get("secret") or "")
    try:
        algorithm = algorithm_name(raw.get("signingAlgorithm"))
        if not secret:
            raise ValueError("websubSubscriptionConfiguration is enabled without a secret")
        if not is_sealed(secret):
            raise ValueError("websubSubscriptionConfiguration.secret is not sealed")
        opened = box.open(secret).encode()
        crypto_policy.active().check_hmac_key(opened)  # a CryptoPolicyError is a ValueError
    except (ValueError, SealedSecretError) as exc:
        logger.error("WebSub API %s: %s; its events are refused", api.id, exc)
        return WebSubApi(api, None, broken=str(exc))
    header = str(raw.get("signatureHeader") or "X-Hub-Signature").lower()
    return WebSubApi(api, Signing(header, algorithm, opened))


def topic_operation(api: CompiledApi, topic: str) -> Operation | None:
    """The API's operation for a topic named with or without its leading slash."""
    path = "/" + topic.lstrip("/")
    for verb in TOPIC_VERBS:
        matched = api.operation(verb, path)
        if matched is not None:
            return matched[0]
    return None


class Hub:
    def __init__(
        self,
        services: Services,
        registry: Registry,
        deliverer: Deliverer,
        subscribers: SubscriberSync,
        *,
        http: httpx.AsyncClient,
        outbound: OutboundPolicy,
        api_secrets: SecretBox,
        subscriber_secrets: SecretBox,
        settings: HubSettings,
    ) -> None:
        self.services = services
        self.registry = registry
        self.deliverer = deliverer
        self.subscribers = subscribers
        self.http = http
        self.outbound = outbound
        self.api_secrets = api_secrets
        self.subscriber_secrets = subscriber_secrets
        self.settings = settings
        self.bus: EventBus | None = None
        self._router: Router | None = None
        self._apis: dict[str, WebSubApi] = {}
        self._prefixes: tuple[str, ...] = ()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def subscribe(self, bus: EventBus, group: str) -> None:
        self.bus = bus
        self.subscribers.subscribe(bus, group)

    def start(self) -> None:
        self.subscribers.start()
        self.deliverer.start()
        self._sweeper = asyncio.create_task(self._sweep_leases(), name="websub-leases")

    async def stop(self) -> None:
        await cancel_and_wait(self._sweeper, *self._tasks)
        self._tasks.clear()
        await self.deliverer.stop()
        await self.subscribers.stop()
        await self.http.aclose()

    # -- routing ----------------------------------------------------------------------------------

    def claims(self, path: str) -> bool:
        """Whether a request may be for a WebSub API (cheap: nothing when none is deployed)."""
        if self.services.state.router is not self._router:
            self._refresh()
        return bool(self._prefixes) and path.startswith(self._prefixes)

    def _refresh(self) -> None:
        """Compiled again whenever the model's router changes (a deployment, an undeployment)."""
        state = self.services.state
        self._router = state.router
        apis: dict[str, WebSubApi] = {}
        prefixes: list[str] = []
        for api in state.apis.values():
            if str(api.artifact.get("type") or "").upper() != WEBSUB_TYPE:
                continue
            known = self._apis.get(api.id)
            apis[api.id] = (
                known if known is not None and known.api is api else compile_websub(api, self.api_secrets)
            )
            context = api.context if api.tenant == DEFAULT_TENANT else f"/t/{api.tenant}{api.context}"
            prefixes.append(context)
        self._apis = apis
        self._prefixes = tuple(prefixes)

    def _route(self, scope: Scope, headers: Headers) -> tuple[WebSubApi, str] | None:
        host = ""
        for name, value in headers:
            if name == "host":
                host = value.rsplit(":", 1)[0].lower() if not value.endswith("]") else value.lower()
                break
        routed = self.services.state.router.route(host, scope["path"])
        if routed is None:
            return None
        api, resource = routed
        websub = self._apis.get(api.id)
        if websub is None or websub.api is not api:
            return None
        return websub, resource

    # -- requests ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Serves the request if it is for a WebSub API; False (nothing sent) otherwise."""
        headers: Headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        routed = self._route(scope, headers)
        if routed is None:
            return False
        websub, resource = routed
        try:
            if scope["method"] != "POST":
                raise GatewayError(
                    405 if resource.rstrip("/") in ("", EVENTS_RESOURCE) else 404,
                    NO_MATCHING_RESOURCE,
                    f"{websub.api.name} is a WebSub API: subscribers and providers POST to it",
                )
            if resource == EVENTS_RESOURCE:
                await self._provider_event(websub, scope, headers, receive)
            elif resource in ("", "/"):
                await self._subscriber_request(websub.api, scope, headers, receive)
            else:
                raise GatewayError(
                    404, NO_MATCHING_RESOURCE, f"No resource of {websub.api.name} at {resource}"
                )
        except GatewayError as error:
            await send_error(send, error.status, error.code, error.message, error.description, error.headers)
            return True
        await send({"type": "http.response.start", "status": 202, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return True

    async def _subscriber_request(
        self, api: CompiledApi, scope: Scope, headers: Headers, receive: Receive
    ) -> None:
        query: str = scope["query_string"].decode("latin-1")
        params = dict(parse_qsl(query, keep_blank_values=True))
        if _content_type(headers) == _FORM:
            body = await _read(receive, _MAX_FORM)
            params.update(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        mode = params.get("hub.mode", "")
        if mode not in ("subscribe", "unsubscribe"):
            raise GatewayError(400, BAD_REQUEST, "hub.mode must be subscribe or unsubscribe")
        topic = params.get("hub.topic", "")
        op = topic_operation(api, topic) if topic else None
        if op is None:
            raise GatewayError(404, NO_MATCHING_RESOURCE, f"{api.name} has no topic {topic!r} (hub.topic)")
        callback = _callback(params.get("hub.callback", ""))
        client = scope.get("client")
        client_ip = client[0] if client else ""
        auth = await self._authenticate(api, op, headers, query, client_ip)
        assert auth.application_id is not None
        subscription = subscriber_id(api.tenant, api.id, auth.application_id, op.target, callback)
        if mode == "unsubscribe":
            if subscription not in self.registry.by_id:
                raise GatewayError(404, NO_MATCHING_RESOURCE, "No such subscription of this application")
            self._spawn(self._verify_unsubscribe(api, op, callback, subscription))
            return
        lease = _lease(params.get("hub.lease_seconds"), self.settings)
        secret = params.get("hub.secret") or None
        if secret is not None and len(secret.encode()) > _MAX_SECRET:
            raise GatewayError(400, BAD_REQUEST, f"hub.secret is longer than {_MAX_SECRET} bytes")
        try:
            if secret is not None:
                crypto_policy.active().check_hmac_key(secret.encode())
        except CryptoPolicyError as exc:
            raise GatewayError(400, BAD_REQUEST, f"hub.secret is refused: {exc}") from None
        self._check_cap(api, auth, subscription)
        await self._check_callback(callback)
        sealed = self.subscriber_secrets.seal(secret) if secret is not None else None
        subscriber = Subscriber(
            id=subscription,
            tenant=api.tenant,
            api_id=api.id,
            application_id=auth.application_id,
            topic=op.target,
            callback=callback,
            subscribed_at=datetime.now(UTC),
            lease_seconds=lease,
            expires_at=time.time() + lease,
            sealed_secret=sealed,
            secret=secret.encode() if secret is not None else None,
        )
        self._spawn(self._verify_subscribe(api, auth, subscriber))

    async def _authenticate(
        self, api: CompiledApi, op: Operation, headers: Headers, query: str, client_ip: str
    ) -> AuthContext:
        services, state = self.services, self.services.state
        deny = state.deny.get(api.tenant)
        if deny is not None:
            deny_api(deny, api, client_ip)
        check_lifecycle(api)
        auth = AuthContext(tenant=api.tenant)
        verified = await authenticate(services, api, headers, query, auth, Outcome(), client_ip)
        authorize(op, auth)
        if verified is not None:
            check_subscription(state, api, verified, auth, client_ip)
        if deny is not None:
            deny_caller(deny, auth)
        if auth.application_id is None:
            raise GatewayError(
                403, RESOURCE_FORBIDDEN, "A WebSub subscription belongs to an application: use its token"
            )
        return auth

    def _check_cap(self, api: CompiledApi, auth: AuthContext, subscription: str) -> None:
        """429 once the application subscription's tier has its ``subscriberCount`` active."""
        tiers = self.services.state.tiers.get(api.tenant)
        tier = tiers.subscription.get(auth.subscription_tier or "") if tiers is not None else None
        cap = tier.subscribers if tier is not None else None
        if not cap:
            return
        assert auth.application_id is not None
        if self.registry.active_of(api.id, auth.application_id, besides=subscription) >= cap:
            raise GatewayError(
                429,
                SUBSCRIBERS_REACHED,
                f"Subscriber Count Reached: the {tier.name if tier else ''} subscription of this "
                f"application to {api.name} allows {cap} active subscriptions",
            )

    async def _check_callback(self, callback: str) -> None:
        """The callback's address refused at once (400) rather than after the 202."""
        parts = urlsplit(callback)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            await checked_address(parts.hostname or "", port, self.outbound, system_resolver)
        except OutboundRefused as exc:
            raise GatewayError(400, BAD_REQUEST, f"hub.callback: {exc}") from None
        except httpx.HTTPError as exc:
            raise GatewayError(400, BAD_REQUEST, f"hub.callback: {exc}") from None

    async def _challenge(self, mode: str, topic: str, callback: str, lease: int | None) -> bool:
        """GET the callback with a challenge; True only for a 2xx echoing it."""
        challenge = secrets.token_urlsafe(24)
        params = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if lease is not None:
            params["hub.lease_seconds"] = str(lease)
        try:
            response = await self.http.get(callback, params=params, timeout=self.settings.verify_timeout)
        except (httpx.HTTPError, OutboundRefused) as exc:
            logger.info("callback %s not verified: %r", callback, exc)
            return False
        return 200 <= response.status_code < 300 and response.text.strip() == challenge

    async def _verify_subscribe(self, api: CompiledApi, auth: AuthContext, subscriber: Subscriber) -> None:
        if not await self._challenge(
            "subscribe", subscriber.topic, subscriber.callback, subscriber.lease_seconds
        ):
            return
        try:  # subscribers verified meanwhile count too
            self._check_cap(api, auth, subscriber.id)
        except GatewayError:
            logger.info(
                "subscriber %s verified past its tier's subscriber count; not activated", subscriber.id
            )
            return
        self.registry.put(subscriber)
        await self._publish(CREATED, subscriber, subscriber.data().model_dump(mode="json"))

    async def _verify_unsubscribe(
        self, api: CompiledApi, op: Operation, callback: str, subscription: str
    ) -> None:
        if not await self._challenge("unsubscribe", op.target, callback, None):
            return
        gone = self.registry.remove(subscription)
        if gone is not None:
            await self._publish(DELETED, gone, {"subscriptionId": gone.id})

    async def _provider_event(
        self, websub: WebSubApi, scope: Scope, headers: Headers, receive: Receive
    ) -> None:
        api = websub.api
        check_lifecycle(api)
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        topic = params.get("topic", "")
        op = topic_operation(api, topic) if topic else None
        if op is None:
            raise GatewayError(404, NO_MATCHING_RESOURCE, f"{api.name} has no topic {topic!r}")
        body = await _read(receive, self.settings.max_event_body)
        if websub.broken is not None:
            raise GatewayError(401, INVALID_CREDENTIALS, "The API's event signature cannot be checked")
        signing = websub.signing
        if signing is not None:
            presented = next((v for k, v in headers if k == signing.header), None)
            if presented is None:
                raise GatewayError(
                    401, MISSING_CREDENTIALS, f"The event carries no {signing.header} signature"
                )
            if not verify(signing.secret, body, signing.algorithm, presented):
                raise GatewayError(401, INVALID_CREDENTIALS, "The event's signature does not match its body")
        subscribers = self.registry.of_topic(api.id, op.target)
        if subscribers:
            content_type = _content_type(headers) or "application/json"
            self.deliverer.fan_out(Event(api, op, body, content_type), subscribers)

    # -- events -----------------------------------------------------------------------------------

    async def report_delivery(self, subscriber: Subscriber, data: WebhookDeliveryData) -> None:
        await self._publish(DELIVERED, subscriber, data.model_dump(mode="json"))

    async def _publish(self, type_: str, subscriber: Subscriber, data: dict[str, Any]) -> None:
        if self.bus is None:
            return
        event = new_event(_SOURCE, type_, subscriber.id, data, tenant=subscriber.tenant)
        await self.bus.publish(str(Topic.WEBHOOK_SUBSCRIPTIONS), event)

    async def expire_leases(self) -> int:
        """Drop the subscribers whose lease ran out, each announced as deleted; how many went.

        Every gateway sweeps its own copy: the Developer Portal takes a repeated deletion as one."""
        gone = self.registry.expired()
        for subscriber in gone:
            self.registry.remove(subscriber.id)
            try:
                await self._publish(DELETED, subscriber, {"subscriptionId": subscriber.id})
            except Exception as exc:  # the next gateway's sweep, or a renewal, says it again
                logger.warning("cannot announce the end of subscriber %s: %r", subscriber.id, exc)
        return len(gone)

    async def _sweep_leases(self) -> None:
        while True:
            await asyncio.sleep(_SWEEP_EVERY)
            await self.expire_leases()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _content_type(headers: Headers) -> str:
    for name, value in headers:
        if name == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return ""


def _callback(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > _MAX_CALLBACK:
        raise GatewayError(
            400, BAD_REQUEST, f"hub.callback must be an http(s) URL of at most {_MAX_CALLBACK} characters"
        )
    return value


def _lease(value: str | None, settings: HubSettings) -> int:
    if value is None or value == "":
        return settings.default_lease
    if not value.isdigit() or int(value) == 0:
        raise GatewayError(400, BAD_REQUEST, "hub.lease_seconds must be a positive whole number")
    return min(int(value), settings.max_lease)


async def _read(receive: Receive, limit: int) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            raise GatewayError(413, PAYLOAD_TOO_LARGE, f"The request body is larger than {limit} bytes")
        if not message.get("more_body", False):
            return bytes(body)
