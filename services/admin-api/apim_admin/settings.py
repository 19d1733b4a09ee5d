"""Settings of the Admin API service (``APIM_...`` environment variables)."""

from typing import Literal

from pydantic import Field, SecretStr

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "admin"
    database_url: str = "sqlite+aiosqlite:///./data/admin.db"
    # Where the analytics service answers (its internal query API, with a service token); the
    # monetization usage publisher reads the subscriptions' call counts there. Unset: no usage.
    analytics_url: str | None = None
    # Who bills the subscription tiers' prices: "report" keeps a usage report per subscription and
    # billing period (JSON and CSV), "stripe" also sends the counts to Stripe as meter events,
    # "none" refuses tier prices (400) since nothing would bill them.
    monetization_provider: Literal["none", "report", "stripe"] = "report"
    # Stripe's secret key (never logged or answered), its meter's event name, and its API's base
    # address (unset: Stripe's own).
    stripe_secret_key: SecretStr | None = None
    stripe_meter_event_name: str = "api_requests"
    stripe_api_base: str | None = None
    # Calls to the gateways' bot traps kept per tenant (``botdetection/``): the newest; older go.
    bot_detection_max_records: int = Field(default=10_000, ge=1)
