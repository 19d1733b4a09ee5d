"""Kafka backend of the event bus (aiokafka), for distributed mode.

Produces with ``acks=all`` keyed by the event's subject (the aggregate id), so one aggregate's
events stay in one partition and in order. Consumers commit an offset only after the handler has
succeeded: a crash redelivers, and idempotent handlers make the redelivery harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from apim_common.events.bus import Handler
from apim_common.events.envelope import CloudEvent
from apim_common.settings import ServiceSettings

logger = logging.getLogger(__name__)


def kafka_client_options(settings: ServiceSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        import ssl

        options["ssl_context"] = ssl.create_default_context()
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        if settings.kafka_sasl_password is not None:
            options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


class KafkaBus:
    def __init__(
        self,
        client_options: dict[str, Any],
        *,
        topic_prefix: str = "apim.",
        retry_delay: float = 0.5,
        consumer_options: dict[str, Any] | None = None,
    ) -> None:
        self._options = client_options
        self._prefix = topic_prefix
        self._retry_delay = retry_delay
        self._consumer_options = consumer_options or {}
        self._producer: AIOKafkaProducer | None = None
        self._subscriptions: list[tuple[list[str], str, Handler]] = []
        self._consumers: list[AIOKafkaConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def from_settings(cls, settings: ServiceSettings, **kwargs: Any) -> KafkaBus:
        return cls(kafka_client_options(settings), topic_prefix=settings.kafka_topic_prefix, **kwargs)

    def topic(self, name: str) -> str:
        return f"{self._prefix}{name}"

    async def start(self) -> None:
        # No idempotent producer: plain acks=all works on every Kafka-protocol broker,
        # and consumers are idempotent anyway.
        self._producer = AIOKafkaProducer(**self._options, acks="all", enable_idempotence=False)
        await self._producer.start()
        for topics, group, handler in self._subscriptions:
            await self._start_consumer(topics, group, handler)

    async def _start_consumer(self, topics: list[str], group: str, handler: Handler) -> None:
        options = {
            "session_timeout_ms": 10_000,
            "heartbeat_interval_ms": 1_000,
            "auto_offset_reset": "earliest",
            **self._consumer_options,
        }
        consumer = AIOKafkaConsumer(
            *(self.topic(t) for t in topics),
            **self._options,
            **options,
            group_id=group,
            enable_auto_commit=False,
        )
        await consumer.start()
        self._consumers.append(consumer)
        self._tasks.append(
            asyncio.create_task(self._consume(consumer, group, handler), name=f"kafka:{group}")
        )

    async def _consume(self, consumer: AIOKafkaConsumer, group: str, handler: Handler) -> None:
        async for message in consumer:
            try:
                event = CloudEvent.from_json(message.value)
            except ValueError:
                logger.error(
                    "group %s skips a malformed message at %s:%s", group, message.topic, message.offset
                )
                await consumer.commit()
                continue
            while True:
                try:
                    await handler(event)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("handler of group %s failed on event %s; retrying", group, event.id)
                    await asyncio.sleep(self._retry_delay)
            await consumer.commit()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for consumer in self._consumers:
            try:
                await consumer.stop()
            except KafkaError:
                logger.warning("consumer did not stop cleanly", exc_info=True)
        self._consumers.clear()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, topic: str, event: CloudEvent) -> None:
        if self._producer is None:
            raise RuntimeError("KafkaBus.publish before start")
        await self._producer.send_and_wait(self.topic(topic), event.to_json(), key=event.subject.encode())

    def subscribe(self, topics: Iterable[str], group: str, handler: Handler) -> None:
        self._subscriptions.append((list(topics), group, handler))
