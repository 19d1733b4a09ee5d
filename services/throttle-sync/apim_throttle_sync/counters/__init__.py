"""Shared counters behind quota leases: one protocol, a Redis and an in-memory implementation.

A counter key (see ``apim_gateway.throttling.levels``) has one counter per fixed window of
``windowSeconds``, aligned to the counter clock (Redis ``TIME``, or this process's clock in
memory): window id = floor(now / windowSeconds). Each counter expires at its window's end plus a
margin, so nothing grows without bound.

Exactness: a gateway admits a request only with a unit granted from the shared counter, and the
grant is an atomic read-compute-increment that never takes ``used`` past ``limit``; so the units
admitted in one window, over every gateway, never exceed the limit. Lease size shrinks with the
remaining quota and with the number of active gateways (``lease_size``), down to one unit near the
end of the quota, so the last units still go to whichever gateway asks (no under-admission).

A unit is a request, or a byte for a bandwidth limit (keys ``bytes:...``): the same grants,
returns and counts, in amounts. A bandwidth call is admitted on a grant asked when it starts and
its bytes beyond the grant arrive as ``counted``, which may take ``used`` past ``limit`` by the
call that crosses it; ``remaining`` is then 0 and every later call is refused
(docs/decisions/0017-bandwidth-limits.md).
"""

from apim_throttle_sync.counters.base import (
    BackendStats,
    CounterBackend,
    LeaseGrant,
    LeaseRequest,
    lease_size,
)
from apim_throttle_sync.counters.memory import MemoryCounterBackend
from apim_throttle_sync.counters.redis import RedisCounterBackend

__all__ = [
    "BackendStats",
    "CounterBackend",
    "LeaseGrant",
    "LeaseRequest",
    "MemoryCounterBackend",
    "RedisCounterBackend",
    "lease_size",
]
