"""Subscription: the application's subscription to the API (403 900908, 401 900907/900909).

An OAuth2 token names its application through the key mapping of its consumer key; an API key
carries its application and subscriptions, checked against the live model where it knows more
(a subscription blocked since the key was issued). A prototyped API needs no subscription.
"""

from __future__ import annotations

from apim_common.subscription_availability import tenant_may_subscribe
from apim_gateway.backends.endpoints import PRODUCTION
from apim_gateway.context import AuthContext
from apim_gateway.errors import (
    API_BLOCKED_BY_SUBSCRIPTION,
    RESOURCE_FORBIDDEN,
    SUBSCRIPTION_INACTIVE,
    GatewayError,
)
from apim_gateway.runtime.apis import CompiledApi
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.security.tokens import VerifiedToken, subscribed_api

_ACTIVE_SUBSCRIPTION = "UNBLOCKED"
_OTHER_TENANT = (
    "User is NOT authorized to access the Resource. The API is not available to the application's tenant."
)
_NOT_SUBSCRIBED = "User is NOT authorized to access the Resource. API Subscription validation failed."


def check_subscription(
    state: RuntimeState, api: CompiledApi, verified: VerifiedToken, auth: AuthContext, client_ip: str
) -> None:
    """Fills the application, key type and tiers of ``auth`` from the token's subscription."""
    if auth.auth_type == "api_key":
        _api_key_subscription(state, api, verified, auth, client_ip)
    else:
        _oauth_subscription(state, api, verified, auth)


def _oauth_subscription(
    state: RuntimeState, api: CompiledApi, verified: VerifiedToken, auth: AuthContext
) -> None:
    auth.consumer_key = verified.consumer_key
    mapping = (
        state.key_mappings.get((verified.key_manager.name, verified.consumer_key))
        if verified.consumer_key
        else None
    )
    if mapping is None:
        if api.prototyped:
            return
        raise GatewayError(403, RESOURCE_FORBIDDEN, _NOT_SUBSCRIBED)
    auth.key_type = mapping.key_type
    _subscription(state, api, mapping.application_id, auth)


def _api_key_subscription(
    state: RuntimeState, api: CompiledApi, verified: VerifiedToken, auth: AuthContext, client_ip: str
) -> None:
    claims = verified.claims
    application = claims.get("application") or {}
    auth.key_type = str(claims.get("keytype") or PRODUCTION).upper()
    permitted_ip = str(claims.get("permittedIP") or "")
    if permitted_ip and client_ip not in {ip.strip() for ip in permitted_ip.split(",")}:
        raise GatewayError(403, RESOURCE_FORBIDDEN, "The API key may not be used from this address")
    entry = subscribed_api(claims, api)
    if entry is None and not api.prototyped:
        raise GatewayError(403, RESOURCE_FORBIDDEN, _NOT_SUBSCRIBED)
    if not tenant_may_subscribe(api.artifact, api.tenant, str(claims.get("tenant") or api.tenant)):
        raise GatewayError(403, RESOURCE_FORBIDDEN, _OTHER_TENANT)
    app_id = str(application.get("uuid") or application.get("id") or "")
    auth.application_id = app_id or None
    auth.application_name = application.get("name")
    auth.application_tier = application.get("tier")
    auth.subscription_tier = str(entry.get("subscriptionTier")) if entry else None
    # The live model knows more than the key (a subscription blocked since it was issued).
    if app_id and (app_id in state.applications or (app_id, api.id) in state.subscriptions):
        _subscription(state, api, app_id, auth)


def _subscription(state: RuntimeState, api: CompiledApi, app_id: str, auth: AuthContext) -> None:
    app = state.applications.get(app_id)
    auth.application_id = app_id
    if app is not None:
        auth.application_name = app.name
        auth.application_tier = app.tier
        if app.owner and not auth.subscriber:
            auth.subscriber = app.owner
    subscription = state.subscriptions.get((app_id, api.id))
    if subscription is None:
        if api.prototyped:
            return
        raise GatewayError(403, RESOURCE_FORBIDDEN, _NOT_SUBSCRIBED)
    if app is not None and not tenant_may_subscribe(api.artifact, api.tenant, app.tenant):
        raise GatewayError(403, RESOURCE_FORBIDDEN, _OTHER_TENANT)
    auth.subscription_tier = subscription.tier
    status = subscription.status
    if status != _ACTIVE_SUBSCRIPTION:
        if status == "BLOCKED" or (status == "PROD_ONLY_BLOCKED" and auth.key_type == PRODUCTION):
            raise GatewayError(401, API_BLOCKED_BY_SUBSCRIPTION, "The subscription to this API is blocked")
        if status != "PROD_ONLY_BLOCKED":
            raise GatewayError(
                401, SUBSCRIPTION_INACTIVE, f"The subscription to this API is {status.lower()}"
            )
