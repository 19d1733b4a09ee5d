"""Every gateway's copy of the live subscribers: the Developer Portal's snapshot on start, then
the ``webhook-subscription.*`` events (each gateway its own consumer group, so every gateway sees
every event). Events that arrive while the snapshot is on its way are applied after it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from pydantic import ValidationError

from apim_common.events.bus import EventBus
from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from apim_common.events.webhooks import CREATED, DELETED, WebhookSubscriptionData
from apim_common.service_auth import ServiceTokenProvider
from apim_common.tasks import cancel_and_wait
from apim_gateway.websub.registry import Registry

logger = logging.getLogger(__name__)

SNAPSHOT_PATH = "/api/am/devportal/v3/internal/webhook-subscriptions"
_MAX_RETRY = 30.0


class SubscriberSync:
    def __init__(
        self,
        registry: Registry,
        http: httpx.AsyncClient,
        tokens: ServiceTokenProvider,
        devportal_url: str,
        *,
        retry_interval: float,
    ) -> None:
        self.registry = registry
        self._http = http
        self._tokens = tokens
        self._url = devportal_url.rstrip("/") + SNAPSHOT_PATH
        self._retry = retry_interval
        self._pending: list[CloudEvent] | None = None
        self._task: asyncio.Task[None] | None = None
        self.loaded = asyncio.Event()

    def subscribe(self, bus: EventBus, group: str) -> None:
        bus.subscribe([str(Topic.WEBHOOK_SUBSCRIPTIONS)], group, self.handle)

    def start(self) -> None:
        self._task = asyncio.create_task(self._pull_until_loaded(), name="websub-snapshot")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _pull_until_loaded(self) -> None:
        delay = self._retry
        while not await self.pull():
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_RETRY)

    async def pull(self) -> bool:
        """Take the Developer Portal's snapshot once; False if it did not come."""
        self._pending = []
        try:
            try:
                headers = await self._tokens.headers()
                response = await self._http.get(self._url, headers=headers)
                if response.status_code == 404:
                    # A Developer Portal without the endpoint has no subscribers to give.
                    logger.info("the Developer Portal has no WebSub subscriber snapshot (404)")
                    self.loaded.set()
                    return True
                response.raise_for_status()
                rows: list[Any] = response.json()["list"]
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                logger.warning("WebSub subscribers not available yet: %r", exc)
                return False
            found = []
            for row in rows:
                try:
                    data = WebhookSubscriptionData.model_validate(row)
                except ValidationError:
                    continue
                subscriber = self.registry.of_data(data, str(row.get("tenant") or "carbon.super"))
                if subscriber is not None:
                    found.append(subscriber)
            self.registry.replace_all(found)
            self.loaded.set()
            return True
        finally:
            pending, self._pending = self._pending, None
            for event in pending:
                self.apply(event)

    async def handle(self, event: CloudEvent) -> None:
        if self._pending is not None:
            self._pending.append(event)
        else:
            self.apply(event)

    def apply(self, event: CloudEvent) -> None:
        if event.type == CREATED:
            try:
                data = WebhookSubscriptionData.model_validate(event.data)
            except ValidationError:
                return  # cannot become valid by being delivered again
            subscriber = self.registry.of_data(data, event.tenant)
            if subscriber is not None:
                self.registry.put(subscriber)
        elif event.type == DELETED:
            self.registry.remove(str(event.data.get("subscriptionId") or event.subject))
