"""scripts/tansu_front.py, the local broker's front: a JoinGroup request's session timeout is capped
(this Tansu holds every join for half of it), in the request header and body layouts of every
JoinGroup version, and nothing else in the frame moves."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "tansu_front.py"


@pytest.fixture(scope="module")
def front() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tansu_front", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _join_group(version: int, session_timeout_ms: int) -> tuple[bytes, int]:
    """A JoinGroup request frame (without its length) and where its session timeout starts."""
    client_id = b"rdkafka"
    head = struct.pack(">hhih", 11, version, 7, len(client_id)) + client_id
    group = b"audit-log"
    if version >= 6:  # flexible: header tags, compact strings
        head += b"\x00" + bytes([len(group) + 1]) + group
    else:
        head += struct.pack(">h", len(group)) + group
    rest = struct.pack(">i", 300_000) + b"member-and-protocols"
    return head + struct.pack(">i", session_timeout_ms) + rest, len(head)


@pytest.mark.parametrize("version", [0, 5, 6, 9])
def test_a_join_asking_a_long_session_timeout_is_capped(front: ModuleType, version: int) -> None:
    frame, at = _join_group(version, 45_000)
    capped = front.cap_join_session_timeout(frame)
    assert struct.unpack(">i", capped[at : at + 4])[0] == front.JOIN_SESSION_TIMEOUT_CAP_MS == 10_000
    assert capped[:at] == frame[:at]
    assert capped[at + 4 :] == frame[at + 4 :]


def test_a_join_asking_a_short_session_timeout_is_forwarded_unchanged(front: ModuleType) -> None:
    frame, _ = _join_group(5, 6_000)
    assert front.cap_join_session_timeout(frame) == frame


def test_a_truncated_join_is_forwarded_unchanged(front: ModuleType) -> None:
    frame, at = _join_group(5, 45_000)
    assert front.cap_join_session_timeout(frame[: at + 2]) == frame[: at + 2]
