"""Settings of the gateway (``APIM_...`` environment variables)."""

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "gateway"
    port: int = 8280
    # The environment (gateway label) whose deployments this gateway serves.
    environment: str = "Default"
