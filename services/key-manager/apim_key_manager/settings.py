"""Settings of the Key Manager service (``APIM_...`` environment variables)."""

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "key-manager"
    database_url: str = "sqlite+aiosqlite:///./data/key_manager.db"
