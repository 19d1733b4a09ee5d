"""Settings of the portals (``APIM_...`` environment variables)."""

from __future__ import annotations

from pydantic import Field

from apim_common.settings import ServiceSettings

# What the portals ask for when a user signs in; the key manager grants those the user's roles allow.
DEVPORTAL_SCOPES = (
    "openid",
    "apim:subscribe",
    "apim:app_manage",
    "apim:sub_manage",
    "apim:api_key",
    "apim:app_import_export",
    "apim:store_settings",
)

PUBLISHER_SCOPES = (
    "apim:api_view",
    "apim:api_create",
    "apim:api_publish",
    "apim:api_manage",
    "apim:api_delete",
    "apim:document_create",
    "apim:document_manage",
    "apim:subscription_view",
    "apim:subscription_block",
    "apim:tier_view",
    "apim:common_operation_policy_view",
    "apim:gateway_policy_view",
    "apim:gateway_policy_manage",
    "apim:api_provider_change",
    "apim:publisher_settings",
)
ADMIN_SCOPES = (
    "apim:admin",
    "apim:tier_view",
    "apim:tier_manage",
    "apim:admin_tier_view",
    "apim:admin_tier_manage",
    "apim:bl_view",
    "apim:bl_manage",
    "apim:keymanagers_manage",
    "apim:environment_read",
    "apim:environment_manage",
    "apim:api_workflow_view",
    "apim:api_workflow_approve",
    "apim:admin_settings",
    "apim:scope_manage",
    "apim:tenantInfo",
    "apim:api_category",
    "apim:app_owner_change",
    "apim:admin_operations",
)
# One sign-in serves every portal (the session cookie is shared): the key manager grants the
# requested scopes the user's roles allow, and each portal shows what those scopes permit.
PORTAL_SCOPES = tuple(dict.fromkeys((*DEVPORTAL_SCOPES, *PUBLISHER_SCOPES, *ADMIN_SCOPES)))


class Settings(ServiceSettings):
    service_name: str = "portals"
    # The portals' base URL as browsers reach it: redirect URIs of the sign-in are built from it.
    portal_url: str = "http://127.0.0.1:9443"
    # The key manager's base URL as browsers reach it (the sign-in page); APIM_KEY_MANAGER_URL is
    # where the portals reach it themselves.
    key_manager_public_url: str | None = None
    # Where the gateway answers: the try-it panel and the ready-to-copy curl lines use it.
    gateway_url: str = "http://127.0.0.1:8280"
    # The first-party client the key manager registers for the portals (APIM_FIRST_PARTY_CLIENTS).
    portal_client_id: str = "apim-portals"
    # Idle seconds after which a signed-in session ends.
    session_ttl: int = Field(default=8 * 3600, ge=60)
    # Sessions kept per replica at most; the least recently used is dropped first.
    max_sessions: int = Field(default=100_000, ge=10)
    # Started, unfinished sign-ins kept per replica at most (each for ten minutes); the oldest
    # is dropped first, so anonymous visitors cannot grow memory by starting sign-ins.
    max_pending_sign_ins: int = Field(default=10_000, ge=10)
    # Send the session cookie only over HTTPS; on by default, off when the portals are served over http.
    cookie_secure: bool | None = None
    # APIs per catalog page.
    page_size: int = Field(default=24, ge=1, le=100)
    # Where the portals reach the analytics query API; APIM_ADMIN_URL when unset (one ingress).
    analytics_url: str | None = None

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.portal_url.startswith("https://")

    @property
    def sign_in_url(self) -> str:
        base = self.key_manager_public_url or self.key_manager_url
        return f"{base.rstrip('/')}/oauth2/authorize"
