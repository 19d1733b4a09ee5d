"""Settings of the throttle-sync service (``APIM_...`` environment variables)."""

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "throttle-sync"
    # "memory" in standalone mode; a redis:// URL in distributed mode.
    counter_backend: str = "memory"
