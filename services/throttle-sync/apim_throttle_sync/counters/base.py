"""The counter backend protocol and the lease sizing rule both implementations follow."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Counters outlive their window by this much, so a late return or count still finds them.
EXPIRY_MARGIN_MS = 2_000
# A store found empty (first use, or restarted without its data) grants replicas nothing for this
# long, while every replica reports the units it holds (``ReplicaPools.sweep`` checks every 0.25 s).
RECOVERY_MS = 600
# Beyond ``RECOVERY_MS``, replicas are granted nothing until as many replicas as the asking one knew
# of before the loss have reported (``CounterBackend.reported``), for at most this long: a replica
# slower than that (or gone with the store) is taken to hold nothing.
REPORT_WAIT_MS = 3_000
# Hash tags the counters are spread over (on a Redis Cluster, as many slots): each tag has its own
# epoch and its own ``Notices``.
TAGS = 16


def tag_of(key: str, window_seconds: int, tags: int = TAGS) -> int:
    """The hash tag of a counter key."""
    return zlib.crc32(f"{window_seconds}:{key}".encode()) % tags


def lease_size(want: int, remaining: int, gateways: int, spread: float, *, fair: int = 0) -> int:
    """Units granted: at most ``want`` and at most a ``1 / (spread * gateways)`` share of what remains.

    The share keeps every active gateway able to get units until the quota is gone; rounding up
    makes it one unit, never zero, while any quota remains. ``fair`` (a replica's part of the limit
    it has not taken yet in the window) lets a replica take its whole part in one lease.
    """
    if want <= 0 or remaining <= 0:
        return 0
    share = max(math.ceil(remaining / (spread * max(gateways, 1))), fair)
    return min(want, share, remaining)


def fair_part(limit: int, gateways: int, spread: float, claimed: int) -> int:
    """A replica's ``1 / (spread * replicas)`` part of the limit, less what it holds already."""
    return max(math.ceil(limit / (spread * max(gateways, 1))) - claimed, 0)


@dataclass(frozen=True, slots=True)
class LeaseRequest:
    """One counter key in a gateway's batch: units wanted now, and what it gives back or counts.

    ``returned`` (unused leased units) applies only if ``window`` is still the current window: a
    past window's counter no longer matters. ``counted`` (units admitted without a lease because
    ``stopOnQuotaReach`` is false) is added to the current window, which it was admitted in less
    than a sync tick ago.
    """

    key: str
    limit: int
    window_seconds: int
    want: int
    window: int | None = None
    returned: int = 0
    counted: int = 0
    # A throttle-sync replica leasing for its gateways: its id, and the units of ``window`` it
    # holds by its own count (taken, less given back). The counter keeps each holder's count; one
    # it has lost (the store restarted) is rebuilt from this, so the window does not admit them twice.
    holder: str = ""
    held: int = 0
    # The replicas ``holder`` knew of before the store lost its data: holders are granted nothing
    # after a loss until that many have reported (at most ``REPORT_WAIT_MS``).
    replicas: int = 0
    # Of ``want``, the units ``holder`` needs: granted fewer as the counter runs out, it is left
    # short (``Notices``).
    needed: int = 0


@dataclass(frozen=True, slots=True)
class LeaseGrant:
    key: str
    window: int
    granted: int
    used: int
    limit: int
    # Milliseconds from the counter clock's "now" to the window's end.
    window_ends_in_ms: int
    # The store's epoch (when it was last found empty, plus ``RECOVERY_MS``): a new one means it lost
    # its counters, and every replica reports what it holds.
    epoch: int = 0
    # A replica's pool with nothing left for now: units given back to it may still come, and a
    # gateway asks again after this long at the earliest (0: the window is spent).
    retry_in_ms: int = 0

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


@dataclass(frozen=True, slots=True)
class Notices:
    """What replicas learn from the store between their leases, per hash tag, in the store's
    milliseconds (0: never). ``short``: a holder was granted fewer units than it needed (its
    ``LeaseRequest.needed``) as the counter ran out, while another holder of the same window had not
    been left short (so may hold units it will not use). ``back``: a holder gave units back to a
    window in which another holder was left short. A replica seeing ``short`` gives back what its
    pools of that window hold beyond their demand for the rest of it; one seeing ``back`` move lets
    its pools left short ask the store again (``ReplicaPools.watch``)."""

    short: int = 0
    back: int = 0


@dataclass
class BackendStats:
    """Work done against the counter store: commands (each script call is one) and round trips."""

    operations: int = 0
    round_trips: int = 0


class CounterBackend(Protocol):
    stats: BackendStats

    async def lease(
        self, requests: Sequence[LeaseRequest], *, gateways: int, spread: float
    ) -> list[LeaseGrant]:
        """Apply returns and counts, then grant leases, each key atomically; one round trip."""
        ...

    async def epoch(self) -> int | None:
        """The store's epoch, None if it has none (it lost its data, or was never used)."""
        ...

    async def reported(self, holder: str) -> None:
        """``holder`` has reported every unit it holds since the store's epoch last changed."""
        ...

    def tag(self, key: str, window_seconds: int) -> int:
        """The hash tag of a counter key: its index in ``notices``."""
        ...

    async def notices(self) -> list[Notices]:
        """Per hash tag: when a holder was last left short, and when units last came back for one."""
        ...

    async def close(self) -> None: ...
