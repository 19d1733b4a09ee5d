"""Settings shared by every service: environment first (``APIM_...``), safe by default.

Development mode (what ``make run`` uses) may run on built-in secrets and the bootstrap
``admin``/``admin`` user, and so listens only on a loopback address; any other mode refuses to
start with them.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from apim_common.crypto_policy import CryptoProvider

# Values a development install may run on; never accepted outside development mode.
DEV_SECRET_KEY = "dev-only-secret-key-change-me"
DEV_BOOTSTRAP_PASSWORD = "admin"


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class InsecureSettingsError(ValueError):
    """A development-only default was left in place outside development mode."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_public_host_in_development(host: str) -> None:
    """Development mode runs on a secret anyone can read in this file: serving it beyond this
    machine would let anyone forge service tokens and decrypt stored secrets."""
    if not is_loopback(host):
        raise InsecureSettingsError(
            f"development mode serves only this machine (APIM_HOST={host!r}); bind 127.0.0.1, or run "
            "APIM_MODE=production with an APIM_SECRET_KEY of your own"
        )


class ServiceSettings(BaseSettings):
    """Base of every service's settings; a service subclasses it to add its own fields."""

    model_config = SettingsConfigDict(env_prefix="APIM_", env_nested_delimiter="__", extra="ignore")

    mode: Mode = Mode.PRODUCTION
    service_name: str = "apim"
    # Where ``python -m <service>`` listens in distributed mode.
    host: str = "127.0.0.1"
    port: int = Field(default=9443, ge=1, le=65535)
    # Prometheus /metrics has a listener of its own, off the public ports; unset, none is opened.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    database_url: str = "sqlite+aiosqlite:///./data/apim.db"
    database_echo: bool = False
    # Event bus: "memory" (one process) or "kafka" (distributed).
    bus: Literal["memory", "kafka"] = "memory"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = "apim."
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    # The longest a consumer's fetch waits for new events. Kafka answers a waiting fetch as soon
    # as an event arrives, but not every Kafka-protocol broker does (Tansu waits it out), and then
    # this bounds how late an event is seen; idle, a consumer sends 1000 / this fetches a second.
    kafka_fetch_max_wait_ms: int = Field(default=100, ge=1, le=10_000)
    # Encrypts secrets at rest (signing keys, client secrets) and signs internal material.
    secret_key: SecretStr | None = None
    bootstrap_admin_username: str = "admin"
    bootstrap_admin_password: SecretStr | None = None
    # Where the key manager publishes its keys; every control-plane service verifies tokens with them.
    key_manager_url: str = "http://127.0.0.1:9443"
    # Where the other services answer (all the control-plane port in standalone mode).
    publisher_url: str = "http://127.0.0.1:9443"
    devportal_url: str = "http://127.0.0.1:9443"
    admin_url: str = "http://127.0.0.1:9443"
    throttle_sync_url: str = "http://127.0.0.1:9443"
    token_issuer: str = "https://localhost:9443/oauth2/token"
    outbox_poll_interval: float = Field(default=0.5, gt=0)
    # Networks (comma-separated, e.g. "10.1.0.0/16,192.168.5.7") that fetches a user can aim
    # (endpoint probes, definitions by URL, key manager discovery) may reach though not public.
    outbound_allow: str = ""
    log_level: str = "INFO"
    log_json: bool = True
    # "fips": refuse to start without OpenSSL's FIPS provider, and refuse what FIPS 140-3 does not
    # approve (apim_common.crypto_policy); docs/decisions/0025-fips-mode.md.
    crypto_provider: CryptoProvider = CryptoProvider.DEFAULT

    @property
    def is_development(self) -> bool:
        return self.mode is Mode.DEVELOPMENT

    @model_validator(mode="after")
    def _secrets_fit_the_mode(self) -> Self:
        if self.is_development:
            refuse_public_host_in_development(self.host)
            if self.secret_key is None:
                self.secret_key = SecretStr(DEV_SECRET_KEY)
            if self.bootstrap_admin_password is None:
                self.bootstrap_admin_password = SecretStr(DEV_BOOTSTRAP_PASSWORD)
            return self
        if self.secret_key is None or self.secret_key.get_secret_value() in ("", DEV_SECRET_KEY):
            raise InsecureSettingsError(
                "APIM_SECRET_KEY must be set to a secret of your own outside development mode"
            )
        if len(self.secret_key.get_secret_value()) < 32:
            raise InsecureSettingsError("APIM_SECRET_KEY must be at least 32 characters long")
        password = self.bootstrap_admin_password
        if password is not None and password.get_secret_value() == DEV_BOOTSTRAP_PASSWORD:
            raise InsecureSettingsError(
                "APIM_BOOTSTRAP_ADMIN_PASSWORD may not be the development default outside development mode"
            )
        return self

    def secret(self) -> str:
        assert self.secret_key is not None  # set by the validator in every mode
        return self.secret_key.get_secret_value()
