"""Settings of the Developer Portal API service (``APIM_...`` environment variables)."""

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "devportal"
    database_url: str = "sqlite+aiosqlite:///./data/devportal.db"
