"""Settings of the standalone runner (``APIM_...``); each service's own settings apply as well."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StandaloneSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APIM_", extra="ignore")

    host: str = "127.0.0.1"
    control_port: int = Field(default=9443, ge=0, le=65535)
    gateway_port: int = Field(default=8280, ge=0, le=65535)
    data_dir: Path = Path("./data")
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    # CA bundle whose client certificates the control plane's TLS listener asks for (optional at the
    # handshake): the token endpoint binds tokens to them (APIM_CERTIFICATE_BOUND_TOKENS).
    tls_client_ca: Path | None = None
    # Prometheus /metrics on a port of its own (0: any free port); unset, metrics are not served.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    # Base URL other services use to reach the control plane; derived from host and port when unset.
    public_url: str | None = None

    def control_plane_url(self, port: int | None = None) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_certfile else "http"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"{scheme}://{host}:{port or self.control_port}"

    def gateway_url(self, port: int | None = None) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{port or self.gateway_port}"
