"""Settings of the Developer Portal API service (``APIM_...`` environment variables)."""

from typing import Any

from pydantic import Field

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "devportal"
    database_url: str = "sqlite+aiosqlite:///./data/devportal.db"
    # Where consumers call the APIs (endpoint URLs, OpenAPI servers, the settings resource).
    gateway_url: str = "https://localhost:8243"
    # Custom application attributes, as WSO2's ApplicationConfiguration:
    # [{"attribute": "External Reference Id", "required": "false", "description": ..., "default": ...}]
    application_attributes: list[dict[str, Any]] = Field(default_factory=list)
