"""Settings of the Key Manager service (``APIM_...`` environment variables)."""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from apim_common.settings import ServiceSettings

PORTALS_CLIENT_ID = "apim-portals"
PORTALS = ("devportal", "publisher", "admin")


class Settings(ServiceSettings):
    service_name: str = "key-manager"
    database_url: str = "sqlite+aiosqlite:///./data/key_manager.db"
    # Lifetimes, in seconds, of what the token endpoint issues (WSO2's defaults).
    access_token_ttl: int = Field(default=3600, ge=60)
    refresh_token_ttl: int = Field(default=86400, ge=60)
    # How long a rotated-out signing key stays in the JWKS: at least the longest access-token life.
    retired_key_grace: int = Field(default=3600, ge=0)
    rsa_key_size: int = Field(default=2048, ge=2048)
    # argon2id cost of user passwords; tests lower it, production keeps the library's defaults.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_cost: int = Field(default=65536, ge=8)
    # The password policy a new password must match (WSO2's user-store default): a changed password
    # is refused with 400 otherwise.
    password_policy_pattern: str = r"^[\S]{5,30}$"
    # Seconds a replica trusts its cached role -> scope map, client records, signing keys and tenants'
    # signing algorithms before re-reading.
    cache_ttl: float = Field(default=5.0, ge=0)
    # Issuers whose assertions the jwt-bearer grant accepts besides our own: issuer -> PEM key (an RSA
    # key verifies RS256 assertions, a P-256 key ES256 ones).
    jwt_bearer_issuers: dict[str, str] = Field(default_factory=dict)
    # Public, consent-free clients that sign users in through /oauth2/authorize (the portals):
    # client id -> its exact redirect URIs. Registered (or updated) on every start.
    first_party_clients: dict[str, list[str]] = Field(
        default_factory=lambda: {
            PORTALS_CLIENT_ID: [f"http://127.0.0.1:9443/{portal}/auth/callback" for portal in PORTALS]
        }
    )
    # Seconds an authorization code may wait for its redemption.
    authorization_code_ttl: int = Field(default=120, ge=10, le=600)
    # Failed sign-ins (every place a password is checked): "memory" in one process, a redis:// URL
    # shared by every replica in distributed mode.
    sign_in_failures_backend: str = "memory"
    # Failures of one user name, and of one client address, before each further failure locks it.
    sign_in_max_failures: int = Field(default=5, ge=1)
    sign_in_max_failures_per_address: int = Field(default=20, ge=1)
    # The first lock, in seconds, doubling with every further failure up to the cap.
    sign_in_lockout_base_seconds: float = Field(default=1.0, gt=0)
    sign_in_lockout_max_seconds: float = Field(default=900.0, gt=0)
    # Seconds after its last failure that a name's or an address's count is forgotten.
    sign_in_failure_window_seconds: float = Field(default=3600.0, gt=0)
    sign_in_redis_timeout_seconds: float = Field(default=0.5, gt=0)
    # Certificate-bound access tokens (RFC 8705, docs/decisions/0030): on, a client that
    # authenticates at /oauth2/token with a client certificate gets access tokens carrying
    # ``cnf.x5t#S256``, which gateways accept only with that certificate. The certificate is the TLS
    # peer's, or the one a terminator forwards in ``token_client_cert_header`` (form ``nginx`` or
    # ``envoy``) from the proxies of ``token_trusted_proxies`` (addresses or CIDRs; empty: none).
    certificate_bound_tokens: bool = False
    token_client_cert_header: str = "ssl-client-cert"
    token_client_cert_format: Literal["nginx", "envoy"] = "nginx"
    token_trusted_proxies: str = ""
    # The key manager's own TLS listener (``python -m apim_key_manager``): its certificate and key,
    # and the CA bundle whose client certificates it asks for (optional at the handshake), so the
    # token endpoint reads the certificate without a terminator.
    key_manager_tls_certfile: Path | None = None
    key_manager_tls_keyfile: Path | None = None
    key_manager_tls_client_ca: Path | None = None

    @model_validator(mode="after")
    def _tls_listener(self) -> "Settings":
        if (self.key_manager_tls_certfile is None) != (self.key_manager_tls_keyfile is None):
            raise ValueError("APIM_KEY_MANAGER_TLS_CERTFILE and APIM_KEY_MANAGER_TLS_KEYFILE go together")
        if self.key_manager_tls_client_ca is not None and self.key_manager_tls_certfile is None:
            raise ValueError("APIM_KEY_MANAGER_TLS_CLIENT_CA needs the listener's certificate and key")
        return self
