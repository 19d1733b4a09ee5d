"""Body of the internal API-key signing request (devportal-api's generate API key)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from apim_common.events.envelope import DEFAULT_TENANT


class ApplicationInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | int | None = None
    uuid: str
    name: str
    owner: str
    tier: str = "Unlimited"


class SubscribedAPI(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    context: str
    version: str
    publisher: str = ""
    subscriptionTier: str = "Unlimited"
    subscriberTenantDomain: str = DEFAULT_TENANT


class APIKeyRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # The user the key acts for: ``admin`` or ``bob@acme.com``.
    username: str = Field(min_length=1)
    tenant: str = DEFAULT_TENANT
    keyType: Literal["PRODUCTION", "SANDBOX"]
    application: ApplicationInfo
    subscribedAPIs: list[SubscribedAPI] = Field(default_factory=list)
    # tier name -> its quota description, as the gateway needs it
    tierInfo: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Seconds; -1 or 0 for a key that does not expire.
    validityPeriod: int = Field(default=-1, ge=-1)
    permittedIP: str = ""
    permittedReferer: str = ""


class APIKeyPublic(BaseModel):
    apikey: str
    validityTime: int
    jti: str
