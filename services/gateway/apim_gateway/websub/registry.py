"""The active subscribers of every WebSub API, as every gateway keeps them.

Filled from the Developer Portal's snapshot on start and from the ``webhook-subscription.*``
events every gateway consumes (``sync.py``), so a subscription verified by one gateway is
delivered by all. A subscriber is one (API, topic, callback) of one application: renewing it
replaces it. Its sealed ``hub.secret`` is opened here, once, to sign its deliveries.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from apim_common.events.webhooks import WebhookSubscriptionData
from apim_common.sealed import SealedSecretError, SecretBox

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: str
    tenant: str
    api_id: str
    application_id: str
    topic: str  # the topic's target as the API declares it ("/issues")
    callback: str
    subscribed_at: datetime
    lease_seconds: int
    expires_at: float  # epoch seconds
    sealed_secret: str | None
    secret: bytes | None  # opened, for signing; never sent anywhere

    def data(self) -> WebhookSubscriptionData:
        """What the ``created`` event carries: the secret still sealed."""
        return WebhookSubscriptionData(
            subscriptionId=self.id,
            apiId=self.api_id,
            applicationId=self.application_id,
            topic=self.topic,
            callbackUrl=self.callback,
            subscribedAt=self.subscribed_at,
            leaseSeconds=self.lease_seconds,
            secret=self.sealed_secret,
        )


def subscriber_id(tenant: str, api_id: str, application_id: str, topic: str, callback: str) -> str:
    """One id per (API, topic, callback) of an application: a renewal keeps it."""
    key = "\n".join((tenant, api_id, application_id, topic, callback)).encode()
    return hashlib.sha256(key).hexdigest()[:32]


class Registry:
    def __init__(self, box: SecretBox) -> None:
        self._box = box
        self.by_id: dict[str, Subscriber] = {}
        # (API, topic) -> subscriber id -> subscriber: what one event fans out to.
        self._by_topic: dict[tuple[str, str], dict[str, Subscriber]] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    def of_data(self, data: WebhookSubscriptionData, tenant: str) -> Subscriber | None:
        """The subscriber an event or a snapshot row describes; None if its secret cannot open."""
        secret: bytes | None = None
        if data.secret is not None:
            try:
                secret = self._box.open(data.secret).encode()
            except SealedSecretError:
                logger.warning("subscriber %s: its secret was sealed under another key", data.subscriptionId)
                return None
        return Subscriber(
            id=data.subscriptionId,
            tenant=tenant,
            api_id=data.apiId,
            application_id=data.applicationId,
            topic=data.topic,
            callback=data.callbackUrl,
            subscribed_at=data.subscribedAt,
            lease_seconds=data.leaseSeconds,
            expires_at=data.subscribedAt.timestamp() + data.leaseSeconds,
            sealed_secret=data.secret,
            secret=secret,
        )

    def put(self, subscriber: Subscriber) -> None:
        self.remove(subscriber.id)
        self.by_id[subscriber.id] = subscriber
        self._by_topic.setdefault((subscriber.api_id, subscriber.topic), {})[subscriber.id] = subscriber

    def remove(self, subscription_id: str) -> Subscriber | None:
        gone = self.by_id.pop(subscription_id, None)
        if gone is not None:
            key = (gone.api_id, gone.topic)
            found = self._by_topic.get(key)
            if found is not None:
                found.pop(subscription_id, None)
                if not found:
                    del self._by_topic[key]
        return gone

    def replace_all(self, subscribers: list[Subscriber]) -> None:
        self.by_id.clear()
        self._by_topic.clear()
        for subscriber in subscribers:
            self.put(subscriber)

    def of_topic(self, api_id: str, topic: str) -> list[Subscriber]:
        """The topic's subscribers whose lease runs."""
        now = time.time()
        return [s for s in (self._by_topic.get((api_id, topic)) or {}).values() if s.expires_at > now]

    def active_of(self, api_id: str, application_id: str, *, besides: str | None = None) -> int:
        """How many live subscribers the application has on the API (``besides`` not counted)."""
        now = time.time()
        return sum(
            1
            for s in self.by_id.values()
            if s.api_id == api_id
            and s.application_id == application_id
            and s.id != besides
            and s.expires_at > now
        )

    def expired(self) -> list[Subscriber]:
        now = time.time()
        return [s for s in self.by_id.values() if s.expires_at <= now]
