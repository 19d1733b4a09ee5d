"""Deny policies (403 900805): the API and the client address before authentication, the
application and the user after it."""

from __future__ import annotations

from apim_gateway.context import AuthContext
from apim_gateway.errors import DENIED, GatewayError
from apim_gateway.runtime.apis import CompiledApi
from apim_gateway.runtime.state import DenyRules


def _denied(description: str) -> GatewayError:
    return GatewayError(403, DENIED, description)


def deny_api(deny: DenyRules, api: CompiledApi, client_ip: str) -> None:
    if deny.apis:
        context = api.context if api.tenant == "carbon.super" else f"/t/{api.tenant}{api.context}"
        if context in deny.apis or f"{context}/{api.version}" in deny.apis:
            raise _denied(f"The API {api.name} is blocked")
    if client_ip and (deny.ips or deny.ip_ranges or deny.inverted_ips) and deny.ip_denied(client_ip):
        raise _denied(f"Requests from {client_ip} are blocked")


def deny_caller(deny: DenyRules, auth: AuthContext) -> None:
    if (auth.application_id and auth.application_id in deny.applications) or (
        auth.subscriber and _user_denied(deny, auth.subscriber)
    ):
        raise _denied("You have been blocked from accessing the resource")


def _user_denied(deny: DenyRules, subscriber: str) -> bool:
    if subscriber in deny.users:
        return True
    return "@" in subscriber and subscriber.rsplit("@", 1)[0] in deny.users
