import asyncio

from apim_common.events import CloudEvent, InProcessBus, new_event


def event(n: int) -> CloudEvent:
    return new_event("test", "thing.changed", f"thing-{n % 3}", {"n": n})


async def test_every_group_receives_every_event_in_order() -> None:
    bus = InProcessBus()
    seen: dict[str, list[int]] = {"gw-1": [], "gw-2": []}
    for group, received in seen.items():

        async def handler(e: CloudEvent, received: list[int] = received) -> None:
            received.append(e.data["n"])

        bus.subscribe(["apis"], group, handler)
    await bus.start()
    for n in range(20):
        await bus.publish("apis", event(n))
    await bus.drain()
    await bus.stop()
    assert seen == {"gw-1": list(range(20)), "gw-2": list(range(20))}


async def test_a_failing_handler_sees_the_event_again() -> None:
    bus = InProcessBus(retry_delay=0.01)
    attempts: list[int] = []

    async def flaky(e: CloudEvent) -> None:
        attempts.append(e.data["n"])
        if len(attempts) < 3:
            raise RuntimeError("downstream not ready")

    bus.subscribe(["apis"], "g", flaky)
    await bus.start()
    await bus.publish("apis", event(7))
    await asyncio.wait_for(bus.drain(), timeout=2)
    await bus.stop()
    assert attempts == [7, 7, 7]


async def test_events_on_other_topics_are_not_delivered() -> None:
    bus = InProcessBus()
    received: list[CloudEvent] = []

    async def handler(e: CloudEvent) -> None:
        received.append(e)

    bus.subscribe(["keys"], "g", handler)
    await bus.start()
    await bus.publish("apis", event(1))
    await bus.drain()
    await bus.stop()
    assert received == []


def test_the_envelope_is_cloudevents_json() -> None:
    raw = event(1).to_json()
    parsed = CloudEvent.from_json(raw)
    assert parsed.specversion == "1.0"
    assert parsed.tenant == "carbon.super"
    assert {"id", "source", "type", "specversion", "time", "subject", "data", "tenant"} <= set(
        parsed.model_dump()
    )
