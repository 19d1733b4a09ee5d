"""Rate limits that are exact across gateways (the gateway's side; throttle-sync holds the counters).

How the request path uses it::

    client = ThrottleClient(HttpThrottleTransport(http, settings.throttle_sync_url, tokens.headers))
    await client.start()                      # in the gateway's lifespan; ``await client.close()``
    window = window_seconds(limit.timeUnit, limit.unitTime)
    key = subscription_key(tenant, app_id, api_id, tier=tier_name)
    decision = client.try_acquire(key, limit.requestCount, window)            # sync, O(1)
    if decision.pending:                      # bucket empty, lease on its way (window starts)
        decision = await client.settle(key)   # waits at most ClientConfig.max_wait
    headers = rate_limit_headers(decision.limit, decision.remaining, decision.reset_after,
                                 admitted=decision.admitted)
    if not decision.admitted:
        error = throttle_error(ThrottleLevel.SUBSCRIPTION)    # status 429, code "900804"
        ...answer error.status with {code, message, description} and ``headers`` (Retry-After)

Helpers for the gateway team:

- ``window_seconds(timeUnit, unitTime)``: a tier's window, ``sec|min|hour|day`` (Admin API
  ThrottleLimit) or ``SECOND|MINUTE|HOUR`` (maxTps), times unitTime.
- Counter keys, one per level, tenant-scoped: ``api_key(tenant, apiId, conditionalGroup)``
  (advanced policy on the API; each matched conditional group has its own counter),
  ``resource_key(tenant, apiId, verb, target, conditionalGroup)``,
  ``subscription_key(tenant, appId, apiId, tier=..., burst=...)`` (each tier its own count),
  ``application_key(tenant, appId, user, burst=...)``,
  ``custom_key(policyName, keyTemplate, variables)`` (``$userId``, ``$apiContext``, ``$apiVersion``,
  ``$appId``, ``$clientIp``, ``$resourceKey``, ``$appTenant``, ``$apiTenant``),
  ``backend_key(tenant, apiId, keyType)`` (maxTps); ``bandwidth_key(key)`` for a level's bytes.
- Bandwidth limits: ``try_acquire(key, limitBytes, window, take=0)`` admits while the window's
  bytes are below the limit; ``Meter(client, keys)`` wraps ASGI receive/send and ``consume``s each
  body chunk's bytes as it passes.
- ``throttle_error(level)``: status and WSO2 code: API 429/900800, RESOURCE 429/900802,
  APPLICATION 429/900803, SUBSCRIPTION 429/900804, CUSTOM 429/900806, SUBSCRIPTION_BURST
  429/900807, APPLICATION_BURST 429/900809, BACKEND 503/900801.
- ``rate_limit_headers(...)``: X-RateLimit-Limit / -Remaining / -Reset, and Retry-After on
  every refusal (burst refusals included, which WSO2 leaves without it).
- ``stop_on_quota_reach=False`` (subscription tiers for billing): the request is counted against
  the quota but never refused.
"""

from apim_gateway.throttling.client import ClientConfig, Decision, LocalBucket, ThrottleClient
from apim_gateway.throttling.levels import (
    THROTTLE_ERRORS,
    ThrottleError,
    ThrottleLevel,
    api_key,
    application_key,
    backend_key,
    bandwidth_key,
    custom_key,
    rate_limit_headers,
    resource_key,
    subscription_key,
    throttle_error,
    window_seconds,
)
from apim_gateway.throttling.meter import ByteCounter, Meter
from apim_gateway.throttling.transport import (
    HttpThrottleTransport,
    ReplicaRouter,
    ThrottleTransport,
    rendezvous_order,
)

__all__ = [
    "THROTTLE_ERRORS",
    "ByteCounter",
    "ClientConfig",
    "Decision",
    "HttpThrottleTransport",
    "LocalBucket",
    "Meter",
    "ReplicaRouter",
    "ThrottleClient",
    "ThrottleError",
    "ThrottleLevel",
    "ThrottleTransport",
    "api_key",
    "application_key",
    "backend_key",
    "bandwidth_key",
    "custom_key",
    "rate_limit_headers",
    "rendezvous_order",
    "resource_key",
    "subscription_key",
    "throttle_error",
    "window_seconds",
]
