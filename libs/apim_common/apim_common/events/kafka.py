"""Kafka backend of the event bus (aiokafka), for distributed mode.

Produces with ``acks=all`` keyed by the event's subject (the aggregate id), so one aggregate's
events stay in one partition and in order. Consumers commit an offset only after the handler has
succeeded: a crash redelivers, and idempotent handlers make the redelivery harmless.

The bus outlives the broker: ``start`` does not fail when Kafka is unreachable, the producer is
(re)created on the next ``publish`` after a failure, and each consumer group runs under a
supervisor that reconnects with backoff. Callers of ``publish`` (the outbox relay) see the error
and retry, so nothing is lost while Kafka is down.

A subscriber that keeps a model of its own (a gateway) passes ``on_reconnect``: it is called
whenever the group's partitions are assigned again after the first time (the consumer lost its
broker or coordinator and rejoined, or was recreated). A broker that lost its log, or a group
whose committed offsets are gone, may not redeliver what happened meanwhile; the subscriber
resynchronises from its source of truth then. A commit that does not complete within a bound
(the broker came back without the topic the offset is for) restarts the consumer, so it rejoins
with fresh metadata instead of retrying forever.

A batch subscriber gets what one fetch returned (at most ``max_events``) in one call, and the
offsets of the whole run are committed after it returned.

Records follow the CloudEvents Kafka protocol binding in structured mode: the value is the event's
JSON and every record carries the header ``content-type: application/cloudevents+json``, so any
CloudEvents SDK (its Kafka binding's ``from_structured``) and any Kafka client reads them. The value
is what it was before the header was added: consumers read old and new records alike.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError

from apim_common.crypto_policy import policy_for
from apim_common.events.bus import BatchHandler, Handler
from apim_common.events.envelope import CloudEvent
from apim_common.settings import ServiceSettings
from apim_common.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

# Starting a client, or closing one (it flushes or leaves its group), can hang until request
# timeouts when the broker is gone; the bus waits this long at most.
_CLIENT_TIMEOUT = 5.0
# A consumer commits once per fetch of at most this many events (after handling them all); a
# crash redelivers at most that many, which the idempotent handlers absorb.
_COMMIT_EVERY = 500

# The CloudEvents Kafka binding's structured mode (content-type header on every record).
STRUCTURED_CONTENT_TYPE = b"application/cloudevents+json"
RECORD_HEADERS = [("content-type", STRUCTURED_CONTENT_TYPE)]

ReconnectHook = Callable[[], None]
T = TypeVar("T")


class _Subscription:
    def __init__(
        self,
        topics: list[str],
        group: str,
        handler: Handler,
        on_reconnect: ReconnectHook | None,
        batch: tuple[BatchHandler, int] | None = None,
    ) -> None:
        self.topics = topics
        self.group = group
        self.handler = handler
        self.on_reconnect = on_reconnect
        self.batch = batch
        self.assignments = 0


class _Assignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """Counts the group's assignments; every one after the first calls the reconnect hook."""

    def __init__(self, subscription: _Subscription) -> None:
        self._subscription = subscription

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        sub = self._subscription
        sub.assignments += 1
        if sub.assignments > 1 and sub.on_reconnect is not None:
            logger.info("consumer group %s rejoined; its subscriber resynchronises", sub.group)
            try:
                sub.on_reconnect()
            except Exception:
                logger.exception("the reconnect hook of group %s failed", sub.group)


def kafka_client_options(settings: ServiceSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = policy_for(settings.crypto_provider).client_context()
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
        max_retry_delay: float = 10.0,
        consumer_options: dict[str, Any] | None = None,
        producer_options: dict[str, Any] | None = None,
    ) -> None:
        self._options = client_options
        self._prefix = topic_prefix
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._consumer_options = consumer_options or {}
        self._producer_options = producer_options or {}
        self._producer: AIOKafkaProducer | None = None
        self._producer_lock = asyncio.Lock()
        self._subscriptions: list[_Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False

    @classmethod
    def from_settings(cls, settings: ServiceSettings, **kwargs: Any) -> KafkaBus:
        kwargs["consumer_options"] = {
            "fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms,
            **(kwargs.get("consumer_options") or {}),
        }
        return cls(kafka_client_options(settings), topic_prefix=settings.kafka_topic_prefix, **kwargs)

    def topic(self, name: str) -> str:
        return f"{self._prefix}{name}"

    async def start(self) -> None:
        self._running = True
        for subscription in self._subscriptions:
            self._start_group(subscription)
        try:
            # Bounded: a broker that drops connections would otherwise hold up the service's start.
            await _within(self._ensure_producer(), _CLIENT_TIMEOUT)
        except (KafkaError, TimeoutError):
            # A service must come up while Kafka is down; the outbox holds its events meanwhile.
            logger.warning("Kafka is unreachable; the producer connects on the next publish")

    async def stop(self) -> None:
        self._running = False
        await cancel_and_wait(*self._tasks)
        self._tasks.clear()
        async with self._producer_lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await _close(producer)

    async def publish(self, topic: str, event: CloudEvent) -> None:
        if not self._running:
            raise RuntimeError("KafkaBus.publish before start")
        producer = await self._ensure_producer()
        try:
            await producer.send_and_wait(
                self.topic(topic), event.to_json(), key=event.subject.encode(), headers=RECORD_HEADERS
            )
        except KafkaError:
            # A producer that lost its broker is not trusted to recover: the next publish gets a new one.
            await self._discard_producer(producer)
            raise

    async def publish_many(self, topic: str, events: Sequence[CloudEvent]) -> None:
        """All of ``events`` handed to the producer before any is awaited, so they travel in its
        batches (a broker round trip for many) rather than one round trip each."""
        if not self._running:
            raise RuntimeError("KafkaBus.publish_many before start")
        producer = await self._ensure_producer()
        name = self.topic(topic)
        try:
            sent = [
                await producer.send(name, event.to_json(), key=event.subject.encode(), headers=RECORD_HEADERS)
                for event in events
            ]
            await asyncio.gather(*sent)
        except KafkaError:
            await self._discard_producer(producer)
            raise

    def subscribe(
        self,
        topics: Iterable[str],
        group: str,
        handler: Handler,
        *,
        on_reconnect: ReconnectHook | None = None,
    ) -> None:
        subscription = _Subscription(list(topics), group, handler, on_reconnect)
        self._subscriptions.append(subscription)
        if self._running:
            self._start_group(subscription)

    def subscribe_batch(
        self, topics: Iterable[str], group: str, handler: BatchHandler, *, max_events: int = 1000
    ) -> None:
        async def one(event: CloudEvent) -> None:
            await handler([event])

        subscription = _Subscription(list(topics), group, one, None, batch=(handler, max_events))
        self._subscriptions.append(subscription)
        if self._running:
            self._start_group(subscription)

    async def _ensure_producer(self) -> AIOKafkaProducer:
        async with self._producer_lock:
            if self._producer is None:
                # No idempotent producer: plain acks=all works on every Kafka-protocol broker,
                # and consumers are idempotent anyway.
                producer = AIOKafkaProducer(
                    **self._options, **self._producer_options, acks="all", enable_idempotence=False
                )
                try:
                    await producer.start()
                except BaseException:
                    await _close(producer)
                    raise
                self._producer = producer
            return self._producer

    async def _discard_producer(self, producer: AIOKafkaProducer) -> None:
        async with self._producer_lock:
            if self._producer is producer:
                self._producer = None
        await _close(producer)

    def _start_group(self, subscription: _Subscription) -> None:
        self._tasks.append(
            asyncio.create_task(self._supervise(subscription), name=f"kafka:{subscription.group}")
        )

    async def _supervise(self, subscription: _Subscription) -> None:
        """Run one group's consumer for as long as the bus runs, reconnecting after failures."""
        topics, group, handler = subscription.topics, subscription.group, subscription.handler
        delay = self._retry_delay
        options = {
            "session_timeout_ms": 10_000,
            "heartbeat_interval_ms": 1_000,
            "auto_offset_reset": "earliest",
            **self._consumer_options,
        }
        while True:
            consumer = AIOKafkaConsumer(
                **self._options,
                **options,
                group_id=group,
                enable_auto_commit=False,
            )
            consumer.subscribe(topics=[self.topic(t) for t in topics], listener=_Assignments(subscription))
            try:
                await consumer.start()
                delay = self._retry_delay
                if subscription.batch is not None:
                    await self._consume_batches(consumer, group, *subscription.batch)
                else:
                    await self._consume(consumer, group, handler)
            except KafkaError as error:
                logger.warning(
                    "consumer group %s lost Kafka (%s); reconnecting in %.1fs", group, error, delay
                )
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is None or task.cancelling():  # the bus is stopping
                    raise
                # A future inside the client was cancelled (an operation given up on a broker
                # that went away): that ends this consumer, not the group.
                logger.warning("consumer group %s was cancelled inside Kafka's client; restarting", group)
            except Exception:
                # Whatever broke this consumer, the group must keep consuming once it can.
                logger.exception("consumer group %s failed; restarting in %.1fs", group, delay)
            finally:
                await _close(consumer)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_retry_delay)

    async def _consume(self, consumer: AIOKafkaConsumer, group: str, handler: Handler) -> None:
        """Each event handled in order, and the offsets of what one fetch returned committed once
        its events are handled: a commit per event is a round trip to the broker each, which
        bounded a new gateway's replay of the topics to a few hundred events a second."""
        while True:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=_COMMIT_EVERY)
            offsets: dict[TopicPartition, int] = {}
            for partition, messages in fetched.items():
                for message in messages:
                    await self._handle(group, handler, message)
                if messages:
                    offsets[partition] = messages[-1].offset + 1
            if offsets:
                await _commit(consumer, group, offsets)

    async def _handle(self, group: str, handler: Handler, message: Any) -> None:
        """One record to its handler, retried until it succeeds; a malformed one is skipped."""
        try:
            event = CloudEvent.from_json(message.value)
        except ValueError:
            logger.error("group %s skips a malformed message at %s:%s", group, message.topic, message.offset)
            return
        while True:
            try:
                await handler(event)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("handler of group %s failed on event %s; retrying", group, event.id)
                await asyncio.sleep(self._retry_delay)

    async def _consume_batches(
        self, consumer: AIOKafkaConsumer, group: str, handler: BatchHandler, max_events: int
    ) -> None:
        while True:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=max_events)
            waiting = sum(len(messages) for messages in fetched.values())
            # One fetch holds at most a partition's fetch size; what the client has already
            # prefetched joins the run, up to max_events, without waiting for more.
            while waiting and waiting < max_events:
                more = await consumer.getmany(timeout_ms=0, max_records=max_events - waiting)
                if not more:
                    break
                for partition, messages in more.items():
                    fetched.setdefault(partition, []).extend(messages)
                    waiting += len(messages)
            events: list[CloudEvent] = []
            offsets: dict[TopicPartition, int] = {}
            for partition, messages in fetched.items():
                for message in messages:
                    try:
                        events.append(CloudEvent.from_json(message.value))
                    except ValueError:
                        logger.error("group %s skips a malformed message at %s", group, partition)
                if messages:
                    offsets[partition] = messages[-1].offset + 1
            while events:
                try:
                    await handler(events)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("batch handler of group %s failed; retrying", group)
                    await asyncio.sleep(self._retry_delay)
            if offsets:
                await _commit(consumer, group, offsets)


async def _commit(consumer: AIOKafkaConsumer, group: str, offsets: dict[TopicPartition, int]) -> None:
    try:
        await _within(consumer.commit(offsets), _CLIENT_TIMEOUT)
    except TimeoutError as error:
        # aiokafka retries some commit errors for ever (a topic the broker no longer has):
        # a new consumer rejoins with fresh metadata and redelivers from the committed offset.
        raise KafkaConnectionError(f"commit of group {group} did not complete") from error
    except KafkaError as error:
        # The partition moved to another member (rebalance, broker restart): that member
        # starts from the last committed offset and the idempotent handler absorbs the repeat.
        logger.warning("group %s could not commit %s: %s", group, offsets, error)


async def _within(awaitable: Awaitable[T], seconds: float) -> T:
    """The result of ``awaitable`` within ``seconds``, else TimeoutError.

    Unlike ``asyncio.wait_for``, this leaves an awaitable that overran to end on its own rather
    than waiting for its cancellation to complete (an aiokafka client stuck on a broker that went
    away need not honour it), and an awaitable that ends cancelled from inside is a ``KafkaError``
    rather than a ``CancelledError`` that would end the caller: a consumer's ``stop`` after a
    commit given up on did, and took the group's supervisor with it, so the group never consumed
    again.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_forget)
        raise TimeoutError
    if task.cancelled():
        # Cancelled from inside, not by the caller: a consumer's stop ends so when the commit it
        # waits on was given up (on a timeout above). A failed operation, for the caller to handle.
        raise KafkaError(f"{awaitable!r} was cancelled inside Kafka's client")
    return task.result()


def _forget(task: asyncio.Future[Any]) -> None:
    """Take the outcome of a task nobody waits for any more, so it is not reported as lost."""
    if not task.cancelled():
        task.exception()


async def _close(client: AIOKafkaProducer | AIOKafkaConsumer) -> None:
    try:
        await _within(client.stop(), _CLIENT_TIMEOUT)
    except (KafkaError, OSError, TimeoutError):
        logger.warning("Kafka client did not close cleanly", exc_info=True)
