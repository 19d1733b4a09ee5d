"""Fan-out: one provider event to every live subscriber of its topic, off the request's way.

A fixed pool of workers takes deliveries from one queue, so at most ``concurrency`` callbacks are
being called at once whatever the number of subscribers; the provider's POST was answered 202
before any of them. Each delivery is one event on the application subscription's tiers
(``EVENTCOUNTLIMIT``, through the same exact counters as WebSocket frames); one refused there is
not sent. A failed attempt (no answer, or not 2xx) is tried again after ``retry_delay``, doubling
each time, up to ``attempts`` in all; every attempt's outcome is published as
``webhook-subscription.delivered``. Callbacks are reached through the outbound guard's client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from apim_common.events.webhooks import WebhookDeliveryData
from apim_common.outbound import OutboundRefused
from apim_common.tasks import cancel_and_wait
from apim_gateway.context import AuthContext
from apim_gateway.request.event_limits import event_limits
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.websub.registry import Subscriber
from apim_gateway.websub.signatures import SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)

Report = Callable[[Subscriber, WebhookDeliveryData], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Event:
    """One provider event, shared by all its deliveries."""

    api: CompiledApi
    op: Operation
    body: bytes
    content_type: str


@dataclass(slots=True)
class Delivery:
    subscriber: Subscriber
    event: Event
    attempt: int = 1


@dataclass(slots=True)
class DeliveryStats:
    delivered: int = 0
    failed: int = 0  # attempts that failed, retried or not
    throttled: int = 0
    given_up: int = 0


class Deliverer:
    def __init__(
        self,
        services: Services,
        clients: list[httpx.AsyncClient],
        report: Report,
        *,
        concurrency: int,
        attempts: int,
        retry_delay: float,
    ) -> None:
        self.services = services
        self.clients = clients
        self.report = report
        self.concurrency = concurrency
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.stats = DeliveryStats()
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._retries: set[asyncio.TimerHandle] = set()

    def start(self) -> None:
        clients = self.clients
        self._workers = [
            asyncio.create_task(self._work(clients[n % len(clients)]), name=f"websub-delivery-{n}")
            for n in range(self.concurrency)
        ]

    async def stop(self) -> None:
        for handle in self._retries:
            handle.cancel()
        self._retries.clear()
        await cancel_and_wait(*self._workers)
        self._workers = []
        for client in self.clients:
            await client.aclose()

    def fan_out(self, event: Event, subscribers: list[Subscriber]) -> None:
        for subscriber in subscribers:
            self._queue.put_nowait(Delivery(subscriber, event))

    async def idle(self) -> None:
        """Until every queued delivery has ended (retries scheduled later are not waited for)."""
        await self._queue.join()

    async def _work(self, http: httpx.AsyncClient) -> None:
        queue = self._queue
        while True:
            delivery = await queue.get()
            try:
                await self._deliver(delivery, http)
            except Exception:
                logger.exception("delivery to subscriber %s failed", delivery.subscriber.id)
            finally:
                queue.task_done()

    async def _deliver(self, delivery: Delivery, http: httpx.AsyncClient) -> None:
        subscriber, event = delivery.subscriber, delivery.event
        if delivery.attempt == 1 and not await self._admitted(subscriber, event):
            self.stats.throttled += 1
            await self._report(subscriber, ok=False)
            return
        headers = {"content-type": event.content_type}
        if subscriber.secret is not None:
            headers[SIGNATURE_HEADER] = sign(subscriber.secret, event.body)
        try:
            response = await http.post(subscriber.callback, content=event.body, headers=headers)
            ok = 200 <= response.status_code < 300
        except (httpx.HTTPError, OutboundRefused) as exc:
            logger.info("subscriber %s: delivery attempt %d failed: %r", subscriber.id, delivery.attempt, exc)
            ok = False
        if ok:
            self.stats.delivered += 1
        else:
            self.stats.failed += 1
            if delivery.attempt < self.attempts:
                self._retry(delivery)
            else:
                self.stats.given_up += 1
        await self._report(subscriber, ok=ok)

    def _retry(self, delivery: Delivery) -> None:
        delay = self.retry_delay * 2 ** (delivery.attempt - 1)
        delivery.attempt += 1
        loop = asyncio.get_running_loop()

        def put_back() -> None:
            self._retries.discard(handle)
            self._queue.put_nowait(delivery)

        handle = loop.call_later(delay, put_back)
        self._retries.add(handle)

    async def _admitted(self, subscriber: Subscriber, event: Event) -> bool:
        """One event on the subscription's, the application's, the API's and the topic's tiers."""
        services = self.services
        state = services.state
        api = event.api
        auth = AuthContext(tenant=api.tenant, application_id=subscriber.application_id)
        app = state.applications.get(subscriber.application_id)
        if app is not None:
            auth.application_tier, auth.subscriber = app.tier, app.owner or None
        subscription = state.subscriptions.get((subscriber.application_id, api.id))
        if subscription is not None:
            auth.subscription_tier = subscription.tier
        limits = event_limits(
            services.rate_limits.limiter, state.tiers.get(api.tenant), api, event.op, auth, ""
        )
        if limits is None:
            return True
        # Admitted: True from the earlier ``admit``, None (no refusing level) from the later one.
        admitted: object = await limits.admit()
        return admitted is None or admitted is True

    async def _report(self, subscriber: Subscriber, *, ok: bool) -> None:
        data = WebhookDeliveryData(
            subscriptionId=subscriber.id,
            deliveredAt=datetime.now(UTC),
            outcome="DELIVERED" if ok else "FAILED",
        )
        try:
            await self.report(subscriber, data)
        except Exception as exc:  # the bus being down costs the status, never the delivery
            logger.warning("cannot publish the delivery of subscriber %s: %r", subscriber.id, exc)
