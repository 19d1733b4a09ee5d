"""A byte-level front for the local Tansu broker, so that every Kafka client reads our events.

Tansu 0.6.0 writes the tagged fields of an ApiVersions v3+ response even when they hold their
default values (empty SupportedFeatures, FinalizedFeaturesEpoch -1, empty FinalizedFeatures,
ZkMigrationReady false). Apache Kafka omits default-valued tagged fields, and librdkafka before
2.1 (the one Debian ships under kcat) skips a tagged field one byte short, so it fails at connect
with "Protocol read buffer underflow for ApiVersion v3". This front listens on the broker's public
port, forwards every frame unchanged, and drops that trailing tag section from ApiVersions v3+
responses (an empty section is what Apache Kafka sends).

It also caps the session timeout a JoinGroup request asks for at ``JOIN_SESSION_TIMEOUT_CAP_MS``.
This Tansu holds every JoinGroup (but the first, which only hands out a member id) for half the
group's session timeout, rejoining it once a second, so that other members can gather; with
librdkafka's default ``session.timeout.ms`` of 45 s a consumer received nothing for 23 s. Capped at
10 s (aiokafka's default, what the platform's own consumers ask), a join takes 5 s; a member is
still dropped only after 10 s without a heartbeat (clients send one every 3 s). Nothing else is
touched.

    python3 scripts/tansu_front.py LISTEN_PORT BROKER_PORT

Standard library only: scripts/infra runs it with the system python3.
"""

from __future__ import annotations

import asyncio
import struct
import sys

API_VERSIONS = 18
JOIN_GROUP = 11
JOIN_SESSION_TIMEOUT_CAP_MS = 10_000


def _uvarint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _skip_tags(buf: bytes, pos: int) -> int:
    count, pos = _uvarint(buf, pos)
    for _ in range(count):
        _, pos = _uvarint(buf, pos)
        size, pos = _uvarint(buf, pos)
        pos += size
    return pos


def strip_api_versions_tags(frame: bytes) -> bytes:
    """An ApiVersions v3+ response frame (after the length) without its top-level tagged fields."""
    try:
        pos = 4 + 2  # correlation id, error code
        entries, pos = _uvarint(frame, pos)
        for _ in range(max(entries - 1, 0)):
            pos = _skip_tags(frame, pos + 6)  # api key, min version, max version
        pos += 4  # throttle time
        if pos > len(frame):
            return frame
        _skip_tags(frame, pos)  # the section parses: replace it with an empty one
    except IndexError:
        return frame
    return frame[:pos] + b"\x00"


def cap_join_session_timeout(frame: bytes, cap_ms: int = JOIN_SESSION_TIMEOUT_CAP_MS) -> bytes:
    """A JoinGroup request frame (after the length) asking for at most ``cap_ms`` of session timeout."""
    try:
        api_version = struct.unpack(">h", frame[2:4])[0]
        flexible = api_version >= 6
        client_id_size = struct.unpack(">h", frame[8:10])[0]
        pos = 10 + max(client_id_size, 0)
        if flexible:
            pos = _skip_tags(frame, pos)  # request header v2
            size, pos = _uvarint(frame, pos)  # compact string: length + 1
            pos += size - 1
        else:
            pos += 2 + struct.unpack(">h", frame[pos : pos + 2])[0]
        asked = struct.unpack(">i", frame[pos : pos + 4])[0]
    except (IndexError, struct.error):
        return frame
    if asked <= cap_ms:
        return frame
    return frame[:pos] + struct.pack(">i", cap_ms) + frame[pos + 4 :]


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    return await reader.readexactly(size)


async def _requests(client: asyncio.StreamReader, broker: asyncio.StreamWriter, pending: set[int]) -> None:
    while True:
        frame = await _read_frame(client)
        api_key, api_version, correlation_id = struct.unpack(">hhi", frame[:8])
        if api_key == API_VERSIONS and api_version >= 3:
            pending.add(correlation_id)
        elif api_key == JOIN_GROUP:
            frame = cap_join_session_timeout(frame)
        broker.write(struct.pack(">i", len(frame)) + frame)
        await broker.drain()


async def _responses(broker: asyncio.StreamReader, client: asyncio.StreamWriter, pending: set[int]) -> None:
    while True:
        frame = await _read_frame(broker)
        correlation_id = struct.unpack(">i", frame[:4])[0]
        if correlation_id in pending:
            pending.discard(correlation_id)
            frame = strip_api_versions_tags(frame)
        client.write(struct.pack(">i", len(frame)) + frame)
        await client.drain()


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, broker_port: int) -> None:
    try:
        b_reader, b_writer = await asyncio.open_connection("127.0.0.1", broker_port)
    except OSError:
        writer.close()
        return
    pending: set[int] = set()
    tasks = [
        asyncio.create_task(_requests(reader, b_writer, pending)),
        asyncio.create_task(_responses(b_reader, writer, pending)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for w in (writer, b_writer):
            w.close()


async def main(listen_port: int, broker_port: int) -> None:
    server = await asyncio.start_server(
        lambda r, w: _serve(r, w, broker_port), "127.0.0.1", listen_port, reuse_address=True
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
