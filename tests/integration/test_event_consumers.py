"""Any Kafka client reads the platform's events: librdkafka (confluent-kafka, kcat), aiokafka, and the
CloudEvents SDK's Kafka binding.

One real action (an API category created in tenant acme.com) goes through the Admin API wired to
the broker of ``scripts/infra``; its outbox relay publishes the event, and each client reads it
from the topic as a consumer outside the platform would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka
from cloudevents.core.formats.json import JSONFormat
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from sqlalchemy import func, select

from apim_admin.app import create_app
from apim_admin.models import outbox
from apim_admin.settings import Settings
from apim_common.events.kafka import KafkaBus, kafka_client_options
from tests.conftest import infra_value
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.infra

TENANT = "acme.com"
TYPE = "api-category.created"


@dataclass(frozen=True)
class Produced:
    bootstrap: str
    topic: str
    subject: str


class _ProducingBus(KafkaBus):
    """The Kafka bus with its producer only: subscriptions are not started."""

    def subscribe(self, *args: Any, **kwargs: Any) -> None:
        return None

    def subscribe_batch(self, *args: Any, **kwargs: Any) -> None:
        return None


async def _produce(bootstrap: str, prefix: str, workdir: Path) -> str:
    settings = Settings(
        mode="development",
        database_url=f"sqlite+aiosqlite:///{workdir / 'admin.db'}",
        bus="kafka",
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        outbox_poll_interval=0.05,
        log_json=False,
    )
    # The bus the app would make from these settings, producing as it does; the app's own
    # consumer groups are not what this module tests, and leaving a group that is still joining
    # holds a close for seconds on the test broker.
    bus = _ProducingBus(kafka_client_options(settings), topic_prefix=prefix)
    tokens = TokenFactory()
    async with running_service(create_app, settings, tokens, bus=bus) as (app, client):  # type: ignore[arg-type]
        await bus.start()
        try:
            created = await client.post(
                "/api/am/admin/v4/api-categories",
                json={"name": "Payments", "description": "money"},
                headers=tokens.headers("admin", "apim:admin", tenant=TENANT),
            )
            assert created.status_code == 201, created.text
            deadline = time.monotonic() + 15
            while await _pending(app.state.database) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return str(created.json()["id"])
        finally:
            await bus.stop()


async def _pending(database: Any) -> int:
    async with database.session() as session:
        query = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        return int(await session.scalar(query) or 0)


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> Produced:
    bootstrap = infra_value("APIM_TEST_KAFKA_BOOTSTRAP")
    prefix = f"it-{uuid.uuid4().hex[:10]}."
    subject = asyncio.run(_produce(bootstrap, prefix, tmp_path_factory.mktemp("consumers")))
    return Produced(bootstrap, f"{prefix}api-categories", subject)


def check_event(value: bytes | str, subject: str) -> None:
    event = json.loads(value)
    assert (event["type"], event["subject"], event["tenant"]) == (TYPE, subject, TENANT)
    assert event["specversion"] == "1.0"
    assert event["data"]["name"] == "Payments"


def read_with_confluent(produced: Produced) -> list[Any]:
    consumer = Consumer({"bootstrap.servers": produced.bootstrap, "group.id": f"it-{uuid.uuid4().hex}"})
    try:
        partitions = consumer.list_topics(produced.topic, timeout=10).topics[produced.topic].partitions
        consumer.assign([TopicPartition(produced.topic, p, OFFSET_BEGINNING) for p in partitions])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                return [message]
        return []
    finally:
        consumer.close()


def test_confluent_kafka_reads_our_event(produced: Produced) -> None:
    [message] = read_with_confluent(produced)
    assert message.key() == produced.subject.encode()
    check_event(message.value(), produced.subject)


async def test_aiokafka_reads_our_event(produced: Produced) -> None:
    consumer = AIOKafkaConsumer(
        produced.topic, bootstrap_servers=produced.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        message = await asyncio.wait_for(consumer.getone(), 10)
    finally:
        await consumer.stop()
    assert message.key == produced.subject.encode()
    check_event(message.value, produced.subject)


def test_kcat_reads_our_event(produced: Produced) -> None:
    done = subprocess.run(
        ["kcat", "-b", produced.bootstrap, "-C", "-t", produced.topic, "-o", "beginning", "-e", "-q", "-J"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, (
        f"kcat failed: {done.stderr[-500:]}\n(a broker started before scripts/tansu_front.py existed answers"
        " kcat's ApiVersions request unparsably: scripts/infra stop kafka && scripts/infra start kafka)"
    )
    [line] = done.stdout.splitlines()
    record = json.loads(line)
    assert record["key"] == produced.subject
    assert record["headers"] == ["content-type", "application/cloudevents+json"]
    check_event(record["payload"], produced.subject)


def test_the_cloudevents_sdk_decodes_our_record_in_structured_mode(produced: Produced) -> None:
    [message] = read_with_confluent(produced)
    headers = dict(message.headers() or [])
    assert headers["content-type"] == b"application/cloudevents+json"
    event = from_kafka(KafkaMessage(headers, message.key(), message.value()), JSONFormat())
    attributes = event.get_attributes()
    assert attributes["type"] == TYPE
    assert attributes["subject"] == produced.subject
    assert attributes["tenant"] == TENANT
    assert attributes["partitionkey"] == produced.subject  # the record key, as the binding maps it
    data = event.get_data()
    assert isinstance(data, dict)
    assert data["name"] == "Payments"
