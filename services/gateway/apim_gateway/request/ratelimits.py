"""Rate limits: advanced/API (900800), resource (900802), subscription (900804, burst 900807),
application (900803, burst 900809), custom (900806), each a request count or a bandwidth limit;
the rules are in ``ratelimit.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import parse_qsl

from apim_gateway.context import AuthContext, Headers
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.tiers import ConditionInput
from apim_gateway.throttling import Meter

Readers = tuple[Callable[[], ConditionInput], Callable[[], Mapping[str, str]]]


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

    ``also``: further operations the call runs (a GraphQL query's), each counted at its own tier.
    Whether a level may read the call (an advanced tier's conditions) was decided for ``op`` at
    deploy time (``Operation.reads_call``); a tenant's custom rules can come at any time."""
    tiers = services.state.tiers.get(api.tenant)
    if tiers is None:
        return _unlimited()
    user = auth.subscriber or client_ip
    readers = (
        _readers(api, op, auth, headers, query, client_ip, user)
        if op.reads_call or also or tiers.custom
        else _UNREAD
    )
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
        conditions=readers[0],
        variables=readers[1],
        more_resources=[(o.verb, o.target, o.throttling_policy) for o in also if o.throttling_policy]
        if also
        else (),
    )


def _readers(
    api: CompiledApi,
    op: Operation,
    auth: AuthContext,
    headers: Headers,
    query: str,
    client_ip: str,
    user: str,
) -> Readers:
    """What an advanced tier's conditions and a custom rule read of the call, built on demand."""

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

    return conditions, variables


async def _unlimited() -> Meter | None:
    return None


def _unread_conditions() -> ConditionInput:
    raise AssertionError("no level without an advanced tier reads the call's conditions")


def _unread_variables() -> Mapping[str, str]:
    raise AssertionError("no level without a custom rule reads its variables")


# The readers of a route whose levels read nothing of the call: no closure built per request.
_UNREAD: Readers = (_unread_conditions, _unread_variables)
