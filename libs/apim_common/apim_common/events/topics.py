"""The platform's topics; a deployment adds its own prefix (``APIM_KAFKA_TOPIC_PREFIX``)."""

from enum import StrEnum


class Topic(StrEnum):
    APIS = "apis"
    DEPLOYMENTS = "deployments"
    GATEWAY_POLICIES = "gateway-policies"
    APPLICATIONS = "applications"
    SUBSCRIPTIONS = "subscriptions"
    KEYS = "keys"
    THROTTLE_POLICIES = "throttle-policies"
    DENY_POLICIES = "deny-policies"
    KEY_MANAGERS = "key-managers"
    TOKEN_REVOCATIONS = "token-revocations"
    WORKFLOWS = "workflows"
    SYSTEM_SCOPES = "system-scopes"
    TENANTS = "tenants"
    ENVIRONMENTS = "environments"
    API_CATEGORIES = "api-categories"
    ANALYTICS = "analytics"
    THROTTLE_DECISIONS = "throttle-decisions"
    # The gateway's WebSub hub: ``webhook-subscription.created|delivered|deleted`` (see
    # apim_common.events.webhooks for their data).
    WEBHOOK_SUBSCRIPTIONS = "webhook-subscriptions"
    # Calls to the gateways' bot traps: ``bot-detection.recorded`` (see
    # apim_common.events.bot_detection), kept by the Admin API.
    BOT_DETECTION = "bot-detection"
