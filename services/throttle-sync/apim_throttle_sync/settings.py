"""Settings of the throttle-sync service (``APIM_...`` environment variables)."""

from pydantic import Field, model_validator

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "throttle-sync"
    # "memory" in standalone mode; a redis:// URL in distributed mode.
    counter_backend: str = "memory"
    # ``counter_backend`` is a node of a Redis Cluster (the others are found from it).
    redis_cluster: bool = False
    # A lease is at most 1 / (spread x active gateways) of the quota still unleased.
    lease_spread: float = Field(default=2.0, ge=1.0)
    # A gateway that has not heartbeated for this long no longer counts as active.
    gateway_ttl_seconds: float = Field(default=5.0, gt=0)
    # Socket timeouts towards Redis: an outage must turn into a fast 503, never a hang.
    redis_timeout_seconds: float = Field(default=0.5, gt=0)
    # Lease for the gateways this replica serves and subdivide (docs/decisions/0003): the store then
    # sees replicas, not gateways.
    lease_pools: bool = False
    # With ``lease_pools``: replicas move units between them through the store's notices, giving
    # back what a pool holds beyond this many times its demand for the rest of the window once
    # another replica is left short (docs/decisions/0003). Unset: off.
    lease_rebalance: float | None = Field(default=None, gt=0)
    # With ``lease_pools``: the gateways send each key to one replica, its owner (they list every
    # replica in ``APIM_THROTTLE_SYNC_URL``), so the store sizes a replica's lease as for the key's
    # only holder (docs/decisions/0003).
    lease_keys_by_replica: bool = False
    # This replica's id in the store's per-holder counts (default: random per process).
    replica_id: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9._:-]*$")

    @model_validator(mode="after")
    def _pool_options(self) -> "Settings":
        if not self.lease_pools:
            if self.lease_rebalance is not None:
                raise ValueError("APIM_LEASE_REBALANCE needs APIM_LEASE_POOLS")
            if self.lease_keys_by_replica:
                raise ValueError("APIM_LEASE_KEYS_BY_REPLICA needs APIM_LEASE_POOLS")
        return self
