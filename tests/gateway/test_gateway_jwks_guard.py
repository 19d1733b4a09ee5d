"""A key manager's JWKS URL is set by a tenant administrator: the gateway fetches it through the
outbound guard, so it cannot be aimed at the metadata service or a private network; the platform's
own key manager is fetched as before."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest

from apim_common.outbound import OutboundPolicy, guarded_client
from apim_gateway.errors import GatewayError
from apim_gateway.runtime.apis import BackendSettings
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.security.tokens import TokenVerifier
from tests.gateway.conftest import CP, TENANT, pets_api
from tests.support.tokens import TokenFactory

IDP_ISSUER = "https://idp.example/oauth"


class MustNotConnect(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.calls: list[httpx.URL] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url)
        raise AssertionError(f"the guard let a connection to {request.url} through")


async def metadata_service(host: str, port: int) -> Sequence[str]:
    return ["169.254.169.254"]


def state_with_key_manager(jwks_url: str, issuer: str) -> RuntimeState:
    state = RuntimeState(
        environment="Default",
        default_vhost="localhost",
        backend=BackendSettings(default_timeout=5.0, failure_threshold=5, open_for=30.0),
    )
    state.deploy(pets_api(9))
    state.upsert_key_manager(
        {
            "id": "km-idp",
            "name": "IdP",
            "type": "custom",
            "issuer": issuer,
            "certificates": {"type": "JWKS", "value": jwks_url},
            "enabled": True,
        },
        TENANT,
    )
    return state


async def test_a_key_managers_jwks_url_aimed_at_the_metadata_service_is_refused_without_connecting() -> None:
    state = state_with_key_manager("http://idp.example/jwks", IDP_ISSUER)
    never = MustNotConnect()
    async with (
        httpx.AsyncClient(transport=never) as http,
        guarded_client(OutboundPolicy(), transport=never, resolver=metadata_service) as outbound,
    ):
        verifier = TokenVerifier(state, http, jwks_http=outbound, trusted_jwks_origin=CP)
        token = TokenFactory(issuer=IDP_ISSUER).mint("alice", client_id="app")
        with pytest.raises(GatewayError) as refused:
            await verifier.verify(token, state.apis["api-pets"])
    assert refused.value.code == "900900"
    assert "cannot be fetched" in refused.value.description
    assert never.calls == []


async def test_the_platforms_own_key_manager_is_fetched_without_the_guard() -> None:
    factory = TokenFactory(issuer=IDP_ISSUER)
    fetched: list[str] = []

    async def key_manager(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json=factory.jwks())

    state = state_with_key_manager(f"{CP}/oauth2/jwks", IDP_ISSUER)
    never = MustNotConnect()
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(key_manager)) as http,
        guarded_client(OutboundPolicy(), transport=never, resolver=metadata_service) as outbound,
    ):
        verifier = TokenVerifier(state, http, jwks_http=outbound, trusted_jwks_origin=CP)
        verified = await verifier.verify(factory.mint("alice", client_id="app"), state.apis["api-pets"])
    assert verified.issuer == IDP_ISSUER
    assert fetched == [f"{CP}/oauth2/jwks"]
    assert never.calls == []
