"""Settings of the analytics service (``APIM_...`` environment variables)."""

from pydantic import Field

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "analytics"
    database_url: str = "sqlite+aiosqlite:///./data/analytics.db"
    # The most events one transaction stores: larger runs amortise the round trips to the database.
    analytics_batch_max_events: int = Field(default=20_000, ge=1, le=100_000)
    # How long rollups of each granularity are kept; day rollups are kept for ever when unset.
    analytics_minute_retention_days: int = Field(default=30, ge=1, le=3650)
    analytics_hour_retention_days: int = Field(default=400, ge=1, le=36500)
    analytics_day_retention_days: int | None = Field(default=None, ge=1, le=36500)
    # Event ids are remembered this long: a redelivery later than this would be counted again.
    analytics_dedup_retention_hours: int = Field(default=48, ge=1, le=24 * 365)
    # How often finished minutes are added to their hours and days.
    analytics_merge_interval_seconds: float = Field(default=15.0, gt=0)
    # How often expired rollups and event ids are deleted.
    analytics_retention_interval_seconds: float = Field(default=300.0, gt=0)
