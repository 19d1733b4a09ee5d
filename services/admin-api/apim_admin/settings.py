"""Settings of the Admin API service (``APIM_...`` environment variables)."""

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "admin"
    database_url: str = "sqlite+aiosqlite:///./data/admin.db"
