"""Gateway membership: each gateway heartbeats; one that misses its TTL is no longer active.

The active count sizes leases (more gateways, smaller leases) and is what a gateway divides its
limits by when it falls back to a local share.
"""

from apim_throttle_sync.membership.store import (
    GatewayMember,
    Membership,
    MemoryMembership,
    RedisMembership,
)

__all__ = ["GatewayMember", "Membership", "MemoryMembership", "RedisMembership"]
