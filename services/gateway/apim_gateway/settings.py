"""Settings of the gateway (``APIM_...`` environment variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from apim_common.outbound import parse_networks
from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "gateway"
    port: int = 8280
    # The ASGI server of ``python -m apim_gateway`` (docs/decisions/0034-gateway-server-uvicorn.md).
    gateway_server: Literal["uvicorn", "granian"] = "uvicorn"
    # The environment (gateway label) whose deployments this gateway serves.
    environment: str = "Default"
    # Names this gateway instance (its own consumer group on the bus); a random one when empty.
    gateway_id: str = ""
    # The vhost that serves requests whose Host is no deployed vhost (and artifacts without one).
    gateway_default_vhost: str = "localhost"
    # The last snapshot pulled from the control plane, loaded when it is unreachable at start.
    gateway_snapshot_cache: Path | None = Path("./data/gateway-snapshot.json")
    # How long the lifespan waits for the first snapshot before serving (then it keeps trying).
    gateway_snapshot_wait: float = Field(default=10.0, ge=0)
    gateway_snapshot_retry: float = Field(default=2.0, gt=0)
    # Rate limits: "local" counts in this process (exact for one gateway, the standalone mode);
    # "shared" leases units from throttle-sync so several gateways share each limit exactly.
    gateway_throttle_mode: Literal["local", "shared"] = "local"
    # Backend calls: seconds to connect, to the response head (unless the endpoint sets its own).
    gateway_connect_timeout: float = Field(default=5.0, gt=0)
    gateway_backend_timeout: float = Field(default=60.0, gt=0)
    # Networks (comma-separated) no backend endpoint may resolve to: the cloud metadata service by
    # default; add the control plane's and any internal network backends must not reach.
    gateway_endpoint_deny: str = "169.254.0.0/16"
    # Circuit breaker of each endpoint: open after this many consecutive failures, for this long.
    gateway_circuit_failures: int = Field(default=3, ge=1)
    gateway_circuit_open_seconds: float = Field(default=30.0, gt=0)
    # The largest request body (bytes) where no requestSizeLimit policy sets one: a larger
    # Content-Length is 413 before the body is read; a body without one is cut off at the limit.
    gateway_max_request_body_size: int = Field(default=10 * 1024 * 1024, ge=1)
    # Verified tokens kept (until their expiry) so a token is verified once, not on every call.
    gateway_token_cache_size: int = Field(default=100_000, ge=0)
    # Response caching (responseCachingEnabled): entries and bytes kept in all, least recently
    # used out first; a larger body than the last streams through unkept.
    gateway_response_cache_max_entries: int = Field(default=10_000, ge=0)
    gateway_response_cache_max_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    gateway_response_cache_max_entry_bytes: int = Field(default=1024 * 1024, ge=0)
    # Backend JWT (X-JWT-Assertion) for every API; one API alone gets it with the backEndJWT policy.
    backend_jwt_enabled: bool = False
    backend_jwt_header: str = "X-JWT-Assertion"
    backend_jwt_ttl: int = Field(default=900, gt=0)
    backend_jwt_user_claims: bool = False
    # A PEM RSA private key signing the backend JWT; a new key per start when unset.
    backend_jwt_private_key_file: Path | None = None
    # Trace spans per request (traceparent to the backend): None = when an OTLP endpoint is set.
    gateway_tracing: bool | None = None
    # Analytics: one event per request on the ``analytics`` topic; dropped (and counted) when full.
    gateway_analytics_enabled: bool = True
    gateway_analytics_queue_size: int = Field(default=10_000, ge=1)
    # The longest a request's record waits before the drain builds and publishes its batch (a
    # batch also goes as soon as 512 wait): one wake-up, build pass and publish call per batch.
    gateway_analytics_batch_seconds: float = Field(default=0.05, gt=0, le=60)
    # WSO2's ELK analytics: each event also as an ``apimMetrics:`` line (WSO2's ``apim_metrics.log``
    # format, for its Filebeat/Logstash configuration and Kibana objects), to this file or stdout.
    gateway_analytics_elk_log: bool = False
    gateway_analytics_elk_log_file: Path | None = None
    # Mutual TLS (``security/mtls.py``): the header the TLS terminator forwards the client
    # certificate in, its form, and the proxies (comma-separated addresses or CIDRs) whose header
    # is believed; from any other peer the header is ignored. Empty trusts no one.
    gateway_client_cert_header: str = Field(default="ssl-client-cert", min_length=1)
    gateway_client_cert_format: Literal["nginx", "envoy"] = "nginx"
    gateway_trusted_proxies: str = ""
    # Bot traps (``bottrap/``): comma-separated exact paths no API serves, at the root or under
    # ``/t/{tenant}``; a call to one is answered 404 like any unknown path and recorded for the
    # Admin API's ``/bot-detection-data``. Empty sets none.
    gateway_bot_trap_paths: str = "/wp-login.php,/xmlrpc.php,/.env,/.git/config,/phpmyadmin/index.php"
    # Trapped calls recorded per second and gateway; beyond, answered alike but not recorded.
    gateway_bot_trap_max_per_second: int = Field(default=20, ge=1)
    # The gateway's own TLS listener (uvicorn only: granian hands the application no client
    # certificate): its certificate and key, and the CA bundle whose client certificates it asks
    # for (optional at the handshake), which confirm certificate-bound tokens (docs/decisions/0030).
    gateway_tls_certfile: Path | None = None
    gateway_tls_keyfile: Path | None = None
    gateway_tls_client_ca: Path | None = None
    # WebSocket APIs (``websocket/``): the largest message each way (bigger closes 1009), the
    # backend leg's ping interval and pong wait, and an idle cut (0: none, as in WSO2).
    gateway_ws_max_client_message: int = Field(default=1024 * 1024, ge=1)
    gateway_ws_max_backend_message: int = Field(default=16 * 1024 * 1024, ge=1)
    gateway_ws_ping_interval: float = Field(default=20.0, gt=0)
    gateway_ws_ping_timeout: float = Field(default=20.0, gt=0)
    gateway_ws_idle_timeout: float = Field(default=0.0, ge=0)
    # permessage-deflate: offered to backends and accepted from clients that offer it (the client
    # leg under uvicorn; granian negotiates none), off by default (docs/decisions/0033).
    gateway_ws_compression: bool = False
    # GraphQL APIs (``graphql/``): the most tokens and bytes a query may have (400 beyond), and
    # how many analysed queries are kept (least recently used out first; 0 keeps none).
    gateway_graphql_max_tokens: int = Field(default=2000, ge=1)
    gateway_graphql_max_query_bytes: int = Field(default=64 * 1024, ge=1)
    gateway_graphql_cache_size: int = Field(default=10_000, ge=0)
    # WebSub APIs (``websub/``): seconds a callback has to answer the intent check and a delivery,
    # deliveries in flight at once, attempts per delivery (retried after retry_delay, doubling:
    # 6 attempts from 120 s span about an hour), and a lease's length when none is asked and at most.
    gateway_websub_verify_timeout: float = Field(default=10.0, gt=0)
    gateway_websub_delivery_timeout: float = Field(default=10.0, gt=0)
    gateway_websub_concurrency: int = Field(default=64, ge=1)
    gateway_websub_delivery_attempts: int = Field(default=6, ge=1)
    gateway_websub_retry_delay: float = Field(default=120.0, gt=0)
    gateway_websub_default_lease: int = Field(default=864_000, ge=1)
    gateway_websub_max_lease: int = Field(default=31_536_000, ge=1)

    @field_validator("gateway_trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)  # a bad entry refuses to start, naming it
        return value

    @model_validator(mode="after")
    def _tls_listener(self) -> Settings:
        if (self.gateway_tls_certfile is None) != (self.gateway_tls_keyfile is None):
            raise ValueError("APIM_GATEWAY_TLS_CERTFILE and APIM_GATEWAY_TLS_KEYFILE go together")
        if self.gateway_tls_client_ca is not None and self.gateway_tls_certfile is None:
            raise ValueError("APIM_GATEWAY_TLS_CLIENT_CA needs APIM_GATEWAY_TLS_CERTFILE and _KEYFILE")
        if self.gateway_tls_certfile is not None and self.gateway_server == "granian":
            raise ValueError(
                "APIM_GATEWAY_TLS_CERTFILE needs APIM_GATEWAY_SERVER=uvicorn: granian hands the "
                "gateway no client certificate; terminate TLS in front of it instead"
            )
        return self
