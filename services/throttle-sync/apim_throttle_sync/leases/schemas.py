"""Wire shapes of /api/am/throttle/v1 (camelCase, as the other APIs)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

GATEWAY_ID_PATTERN = r"^[A-Za-z0-9._:@-]{1,128}$"


class LeaseItem(BaseModel):
    """One counter key of a gateway's sync tick."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=512)
    limit: int = Field(ge=0)
    windowSeconds: int = Field(ge=1, le=366 * 86400)
    want: int = Field(default=0, ge=0)
    # The window the returned/counted units belong to (as a previous grant told it).
    window: int | None = None
    returned: int = Field(default=0, ge=0)
    counted: int = Field(default=0, ge=0)


class LeaseBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gatewayId: str = Field(pattern=GATEWAY_ID_PATTERN)
    items: list[LeaseItem] = Field(max_length=10_000)


class LeaseGrantPublic(BaseModel):
    key: str
    window: int
    granted: int
    used: int
    limit: int
    remaining: int
    windowEndsInMs: int
    # With pools: nothing remains, but units given back to this replica may come: ask again after
    # this long at the earliest (0: the window is spent).
    retryInMs: int = 0


class LeaseBatchAnswer(BaseModel):
    activeGateways: int
    # The replica subdivides its own pools (``APIM_LEASE_POOLS``): a gateway's ask costs the store
    # nothing, so gateways keep no reserve that could strand units (``reserve_cap``).
    pooled: bool = False
    grants: list[LeaseGrantPublic]


class HeartbeatAnswer(BaseModel):
    gatewayId: str
    activeGateways: int
    ttlSeconds: float


class GatewayPublic(BaseModel):
    gatewayId: str
    expiresInMs: int


class GatewayList(BaseModel):
    count: int
    list: list[GatewayPublic]
