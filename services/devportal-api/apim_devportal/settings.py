"""Settings of the Developer Portal API service (``APIM_...`` environment variables)."""

from typing import Any

from pydantic import Field, SecretStr

from apim_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "devportal"
    database_url: str = "sqlite+aiosqlite:///./data/devportal.db"
    # Where consumers call the APIs (endpoint URLs, OpenAPI servers, the settings resource).
    gateway_url: str = "https://localhost:8243"
    # Where the analytics service answers (its query API, called with a service token); unset when
    # analytics is not deployed: a subscription's usage is then 404, not a made-up zero.
    analytics_url: str | None = None
    # Custom application attributes, as WSO2's ApplicationConfiguration:
    # [{"attribute": "External Reference Id", "required": "false", "description": ..., "default": ...}]
    application_attributes: list[dict[str, Any]] = Field(default_factory=list)
    # The marketplace assistant and API chat, answered on this machine.
    assistant_enabled: bool = True
    api_chat_enabled: bool = True
    # Dense retrieval with the local embedding model (the ``embeddings`` extra); off: BM25 alone.
    assistant_embeddings: bool = True
    # An OpenAI-compatible endpoint (base URL ending before ``/chat/completions``) for a larger
    # model that writes the assistant's answers and plans API chat; unset: offline answers.
    assistant_llm_url: str | None = None
    assistant_llm_model: str = "gpt-4o-mini"
    assistant_llm_api_key: SecretStr | None = None
    assistant_llm_timeout: float = 30.0
    # Questions one caller (a signed-in user, else a client address) may ask the marketplace
    # assistant per window; beyond, 429 with Retry-After. An answer costs ~0.4 s of CPU.
    assistant_rate_limit: int = Field(default=20, ge=1)
    assistant_rate_window_seconds: float = Field(default=60.0, gt=0)
    # SDK generation (/apis/{apiId}/sdks/{language}): a generator run is killed after this many
    # seconds (504); a zip larger than sdk_max_bytes is refused; generated zips are kept in memory,
    # up to sdk_cache_bytes in all; at most sdk_concurrency generators run at once.
    sdk_generation_timeout: float = Field(default=60.0, gt=0)
    sdk_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    sdk_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    sdk_concurrency: int = Field(default=2, ge=1)
