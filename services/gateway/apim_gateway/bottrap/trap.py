"""A call to a trap path: the 404 every unknown path gets, and a ``bot-detection.recorded`` event.

The paths are exact (``/wp-login.php``), at the gateway's root or under a tenant's
``/t/{tenant}``, whose administrators then see the call. They are looked up before routing (one
``str.endswith`` of the trap paths per request, about 0.3 µs), so a path listed here is never
an API's. The event carries the method,
the headers with every credential masked, at most ``MAX_BODY_BYTES`` of the body (read for at
most ``BODY_WAIT`` seconds) and the client address; it is published off the answer's way. A flood
of trapped calls is still answered, but recorded only up to ``max_per_second`` a gateway (and
while fewer than ``MAX_PENDING`` wait for the bus): the rest is dropped and counted, so a scanner
cannot turn the traps into a load on the bus and the Admin API's database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable

from starlette.types import Receive, Scope, Send

from apim_common.events.bot_detection import (
    MASK,
    MAX_BODY_BYTES,
    MAX_HEADER_SET,
    RECORDED,
    BotDetectionData,
    secret_header,
)
from apim_common.events.bus import EventBus
from apim_common.events.envelope import DEFAULT_TENANT, CloudEvent, new_event
from apim_common.events.topics import Topic
from apim_gateway.errors import NO_MATCHING_RESOURCE, send_error

logger = logging.getLogger(__name__)

SOURCE = "apim-gateway"
BODY_WAIT = 2.0
MAX_PENDING = 256
# The longest tenant domain recorded (the Admin API's column); a longer ``/t/{tenant}`` is no trap.
MAX_TENANT = 255


def parse_trap_paths(value: str) -> frozenset[str]:
    """The comma-separated paths of the setting; a path that is not absolute, or has a query or
    white space, is refused (the gateway does not start) naming it."""
    paths = set()
    for raw in value.split(","):
        path = raw.strip()
        if not path:
            continue
        if not path.startswith("/") or "?" in path or "#" in path or any(c.isspace() for c in path):
            raise ValueError(f"a bot trap path is an absolute path without a query: {path!r}")
        paths.add(path)
    return frozenset(paths)


class BotTrap:
    def __init__(
        self,
        paths: frozenset[str],
        gateway_id: str,
        max_per_second: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.paths = paths
        # Every trapped path ends with a trap path: one C call rules out almost every request.
        self._suffixes = tuple(paths)
        self._source = f"{SOURCE}/{gateway_id}"
        self._bus: EventBus | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._max_per_second = max_per_second
        self._clock = clock
        self._second = 0
        self._in_second = 0
        self.dropped = 0

    def start(self, bus: EventBus) -> None:
        self._bus = bus

    async def stop(self) -> None:
        """Waits for the events still on their way to the bus."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        self._bus = None

    def tenant_of(self, path: str) -> str | None:
        """The tenant a call to ``path`` is recorded for, or None when ``path`` is no trap."""
        if not path.endswith(self._suffixes):
            return None
        paths = self.paths
        if path in paths:
            return DEFAULT_TENANT
        if path.startswith("/t/"):
            tenant, sep, rest = path[3:].partition("/")
            if sep and 0 < len(tenant) <= MAX_TENANT and f"/{rest}" in paths:
                return tenant
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send, tenant: str) -> None:
        method: str = scope["method"]
        bus = self._admit()
        body = await _read_capped(receive) if bus is not None else b""
        await send_error(send, 404, *NO_MATCHING_RESOURCE, f"No API is deployed for {method} {scope['path']}")
        if bus is None:
            return
        client = scope.get("client")
        data = BotDetectionData(
            recordedTime=int(time.time() * 1000),
            messageID=f"urn:uuid:{uuid.uuid4()}",
            apiMethod=method[:16],
            headerSet=_header_set(scope["headers"]),
            messageBody=body.decode("utf-8", errors="replace")[:MAX_BODY_BYTES],
            clientIp=(client[0] if client else "")[:64],
        )
        event = new_event(self._source, RECORDED, data.messageID, data.model_dump(), tenant=tenant)
        task = asyncio.create_task(self._send(bus, event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _admit(self) -> EventBus | None:
        """The bus to record this call on; None when it is not recorded (the cap is reached)."""
        second = int(self._clock())
        if second != self._second:
            self._second, self._in_second = second, 0
        self._in_second += 1
        bus = self._bus
        if bus is None or self._in_second > self._max_per_second or len(self._pending) >= MAX_PENDING:
            self.dropped += 1
            return None
        return bus

    async def _send(self, bus: EventBus, event: CloudEvent) -> None:
        try:
            await bus.publish(str(Topic.BOT_DETECTION), event)
        except Exception:
            self.dropped += 1
            logger.warning("a bot-trap record could not be published", exc_info=True)


def _header_set(headers: list[tuple[bytes, bytes]]) -> str:
    """WSO2's ``[Name=value, ...]``, every credential masked."""
    parts = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        value = MASK if secret_header(name.lower()) else raw_value.decode("latin-1")
        parts.append(f"{name}={value}")
    text = "[" + ", ".join(parts) + "]"
    return text if len(text) <= MAX_HEADER_SET else text[: MAX_HEADER_SET - 4] + "...]"


async def _read_capped(receive: Receive) -> bytes:
    """At most ``MAX_BODY_BYTES`` of the body, waiting at most ``BODY_WAIT`` seconds for it."""
    body = bytearray()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(BODY_WAIT):
            while len(body) < MAX_BODY_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
    return bytes(body[:MAX_BODY_BYTES])
