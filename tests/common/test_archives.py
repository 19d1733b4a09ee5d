"""Uploaded zips are refused by their directory before anything is inflated, and read within limits."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest

from apim_common.archives import ArchiveLimits, ArchiveRefused, BoundedZip, MiB


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def bomb(uncompressed: int) -> bytes:
    """One member of zeros, written in chunks so the test itself stays small."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("api.yaml", "w") as member,
    ):
        chunk = b"\0" * MiB
        for _ in range(uncompressed // MiB):
            member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_without_inflating_it() -> None:
    archive = bomb(64 * MiB)
    assert len(archive) < 200 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveRefused, match="larger than"):
            BoundedZip(archive)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * MiB


def test_a_member_inflating_beyond_the_ratio_is_refused() -> None:
    with pytest.raises(ArchiveRefused, match="zip bomb"):
        BoundedZip(bomb(5 * MiB))


def test_too_many_members_are_refused() -> None:
    archive = zipped({f"f{i}.txt": b"x" for i in range(11)})
    with pytest.raises(ArchiveRefused, match="more than 10 entries"):
        BoundedZip(archive, ArchiveLimits(max_members=10))


def test_the_total_uncompressed_size_is_capped() -> None:
    archive = zipped({f"f{i}.bin": b"y" * 1000 for i in range(5)}, zipfile.ZIP_STORED)
    with pytest.raises(ArchiveRefused, match="4000 bytes uncompressed"):
        BoundedZip(archive, ArchiveLimits(max_member_bytes=1000, max_total_bytes=4000))


def test_a_member_holding_more_than_its_directory_states_is_not_read_past_it() -> None:
    archive = bytearray(zipped({"api.yaml": b"z" * 100_000}))
    # Make the central directory claim 100 bytes uncompressed (the local header is left as it was).
    central = archive.rfind(b"PK\x01\x02")
    archive[central + 24 : central + 28] = struct.pack("<I", 100)
    opened = BoundedZip(bytes(archive))
    with pytest.raises(ArchiveRefused, match=r"cannot be read|stated size"):
        opened.read("api.yaml")


def test_members_within_the_limits_are_read() -> None:
    opened = BoundedZip(zipped({"a/api.yaml": b"name: x", "a/": b""}))
    assert opened.names() == ["a/api.yaml"]
    assert opened.read("a/api.yaml") == b"name: x"


def test_something_that_is_not_a_zip_is_refused_with_400() -> None:
    with pytest.raises(ArchiveRefused) as refused:
        BoundedZip(b"PK not really")
    assert refused.value.status_code == 400
