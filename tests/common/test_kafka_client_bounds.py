"""How the Kafka bus waits on aiokafka's clients: never for ever, and never ended by their insides.

Fakes stand in for a client caught on a broker that went away; the real broker's outage is in
tests/integration/test_kafka_bus.py.
"""

import asyncio

import pytest

from apim_common.events import kafka


class StopCancelledInside:
    """A consumer whose ``stop`` waits on a commit that was given up on: it ends cancelled."""

    async def stop(self) -> None:
        given_up: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        given_up.cancel()
        await given_up


class StopThatIgnoresCancellation:
    """A client whose ``stop`` swallows the cancellation and goes on waiting."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def stop(self) -> None:
        while not self.release.is_set():
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                continue


async def test_a_client_whose_stop_ends_cancelled_inside_does_not_cancel_the_closer() -> None:
    await kafka._close(StopCancelledInside())  # type: ignore[arg-type]
    # Still running: the group's supervisor that closed it goes on to start a new consumer.
    assert not asyncio.current_task().cancelling()  # type: ignore[union-attr]


async def test_a_client_whose_stop_ignores_cancellation_is_left_after_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kafka, "_CLIENT_TIMEOUT", 0.1)
    client = StopThatIgnoresCancellation()
    try:
        await asyncio.wait_for(kafka._close(client), timeout=5)  # type: ignore[arg-type]
    finally:
        client.release.set()
        await asyncio.sleep(0)
