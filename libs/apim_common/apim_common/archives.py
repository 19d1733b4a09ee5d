"""Zip archives users upload (API projects, policy archives, portal themes), read within limits.

A zip states each member's sizes in its directory, so an archive is refused before anything is
decompressed when it holds too many members, a member too large, too much in total, or a member
that inflates more than ``max_ratio`` times; reading then goes through a stream that stops at the
stated size and at the limits (a lying directory gains nothing).

    ArchiveRefused (BadRequest, 400)   not a zip, or beyond a limit
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from apim_common.errors import BadRequest

_CHUNK = 64 * 1024
# Small members compress freely (a page of spaces is 200:1); the ratio matters above this size.
_RATIO_FLOOR = 1024 * 1024
MiB = 1024 * 1024


class ArchiveRefused(BadRequest):
    default_message = "Invalid archive"


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_members: int = 2000
    max_member_bytes: int = 20 * MiB
    max_total_bytes: int = 100 * MiB
    max_ratio: int = 100


class BoundedZip:
    """An uploaded zip whose directory passed the limits; ``read`` stays within them."""

    def __init__(self, content: bytes, limits: ArchiveLimits = ArchiveLimits()) -> None:
        self.limits = limits
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(content))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise ArchiveRefused("The file is not a zip archive, or a damaged one") from exc
        if len(infos) > limits.max_members:
            raise ArchiveRefused(f"The archive holds more than {limits.max_members} entries")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise ArchiveRefused(f"'{info.filename}' is encrypted")
            if info.file_size > limits.max_member_bytes:
                raise ArchiveRefused(
                    f"'{info.filename}' is larger than {limits.max_member_bytes} bytes uncompressed"
                )
            if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise ArchiveRefused(
                    f"'{info.filename}' inflates more than {limits.max_ratio} times; "
                    "the archive looks like a zip bomb"
                )
            total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveRefused(f"The archive holds more than {limits.max_total_bytes} bytes uncompressed")
        if total > _RATIO_FLOOR and total > limits.max_ratio * len(content):
            raise ArchiveRefused(
                f"The archive inflates more than {limits.max_ratio} times; it looks like a zip bomb"
            )
        self._infos = {i.filename: i for i in infos}
        self._read_so_far = 0

    def names(self) -> list[str]:
        """The members that are files (folders left out), in archive order."""
        return [name for name, info in self._infos.items() if not info.is_dir()]

    def read(self, name: str) -> bytes:
        """One member's content, never more than its stated size nor the archive's total limit."""
        info = self._infos[name]
        budget = min(info.file_size, self.limits.max_member_bytes)
        out = bytearray()
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(min(_CHUNK, budget - len(out) + 1)):
                    out += chunk
                    if len(out) > budget:
                        raise ArchiveRefused(f"'{name}' holds more than its stated size")
                    if self._read_so_far + len(out) > self.limits.max_total_bytes:
                        raise ArchiveRefused(
                            f"The archive holds more than {self.limits.max_total_bytes} bytes uncompressed"
                        )
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
            raise ArchiveRefused(f"'{name}' cannot be read from the archive") from exc
        self._read_so_far += len(out)
        return bytes(out)

    def close(self) -> None:
        self._zip.close()
