"""Rate limits: advanced/API (900800), resource (900802), subscription (900804, burst 900807),
application (900803, burst 900809), custom (900806), each a request count or a bandwidth limit;
the rules are in ``ratelimit.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from urllib.parse import parse_qsl

from apim_gateway.context import AuthContext, Headers
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.tiers import ConditionInput
from apim_gateway.throttling import Meter


def rate_limit(
    services: Services,
    api: CompiledApi,
    op: Operation,
    auth: AuthContext,
    headers: Headers,
    query: str,
    client_ip: str,
    also: tuple[Operation, ...] = (),
) -> Awaitable[Meter | None]:
    """Raises the first refusal; a ``Meter`` for the call's bytes when a bandwidth limit applies.
    The check's coroutine itself, awaited by the caller (no coroutine layer of its own).

    ``also``: further operations the call runs (a GraphQL query's), each counted at its own tier."""
    tiers = services.state.tiers.get(api.tenant)
    if tiers is None:
        return _unlimited()
    user = auth.subscriber or client_ip
    if api.api_throttling_policy is None and op.throttling_policy is None and not also and not tiers.custom:
        # No level here reads the call's conditions or a custom rule's variables.
        return services.rate_limits.check(
            tiers,
            tenant=api.tenant,
            api_id=api.id,
            api_policy=None,
            verb=op.verb,
            target=op.target,
            resource_policy=None,
            application_id=auth.application_id,
            user=user,
            subscription_tier=auth.subscription_tier,
            application_tier=auth.application_tier,
            conditions=_unread_conditions,
            variables=_unread_variables,
        )

    # Only a tier with conditions or a custom policy asks for these.
    def conditions() -> ConditionInput:
        return (dict(headers), dict(parse_qsl(query)), client_ip, auth.claims)

    def variables() -> Mapping[str, str]:
        return {
            "userId": user,
            "apiContext": api.context,
            "apiVersion": api.version,
            "appId": auth.application_id or "",
            "clientIp": client_ip,
            "resourceKey": f"{api.context}/{api.version}{op.target}:{op.verb}",
            "appTenant": api.tenant,
            "apiTenant": api.tenant,
        }

    return services.rate_limits.check(
        tiers,
        tenant=api.tenant,
        api_id=api.id,
        api_policy=api.api_throttling_policy,
        verb=op.verb,
        target=op.target,
        resource_policy=op.throttling_policy,
        application_id=auth.application_id,
        user=user,
        subscription_tier=auth.subscription_tier,
        application_tier=auth.application_tier,
        conditions=conditions,
        variables=variables,
        more_resources=[(o.verb, o.target, o.throttling_policy) for o in also if o.throttling_policy],
    )


async def _unlimited() -> Meter | None:
    return None


def _unread_conditions() -> ConditionInput:
    raise AssertionError("no level without an advanced tier reads the call's conditions")


def _unread_variables() -> Mapping[str, str]:
    raise AssertionError("no level without a custom rule reads its variables")
