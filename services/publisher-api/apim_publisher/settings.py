"""Settings of the Publisher API service (``APIM_...`` environment variables)."""

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "publisher"
    database_url: str = "sqlite+aiosqlite:///./data/publisher.db"
