"""backEndJWT: ask for a signed JWT describing the caller to be sent to the backend.

The policy only marks the exchange; the JWT is made by the gateway's backend-JWT signer on the
request path, just before the backend is called, so its claims reflect the request as the
policies left it. Contract with the request path:

    exchange.variables["backend_jwt"] = {
        "header": "x-jwt-assertion",   # lower-case name of the header that carries the JWT
        "signingAlgorithm": "RS256",   # RS256 (signed with the key published at /jwks) or NONE
        "tokenTTL": 900,               # seconds until exp
        "enableUserClaims": False,     # also copy the caller's token claims (exchange.auth.claims)
    }

When the key is present, the request path sets that header (replacing any the client sent) to a
JWT built from ``exchange.auth`` and the API (WSO2's ``http://wso2.org/claims/*`` claims:
subscriber, applicationid, applicationname, applicationtier, apiname/apicontext, version, tier,
keytype, enduser, ...). Absent the key, no backend JWT is sent. A client-supplied header of the
same name is always removed here, so a caller can never forge the backend's view of itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apim_common import crypto_policy
from apim_common.crypto_policy import CryptoPolicyError
from apim_gateway.context import Exchange, remove_header
from apim_gateway.policies.base import Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy

VARIABLE = "backend_jwt"


@register
class BackendJwt(BuiltinPolicy):
    name = "backEndJWT"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        ttl: int = self.values["tokenTTL"]
        if ttl <= 0:
            raise self.config_error("tokenTTL", "must be more than 0 seconds")
        try:  # FIPS mode refuses an unsigned backend JWT (apim_common.crypto_policy)
            crypto_policy.active().check_jws_algorithm(str(self.values["signingAlgorithm"]))
        except CryptoPolicyError as exc:
            raise self.config_error("signingAlgorithm", str(exc)) from None
        self.settings: dict[str, Any] = {
            "header": self.values["header"].lower(),
            "signingAlgorithm": self.values["signingAlgorithm"],
            "tokenTTL": ttl,
            "enableUserClaims": self.values["enableUserClaims"],
        }

    async def on_request(self, exchange: Exchange) -> Reply | None:
        remove_header(exchange.request.headers, self.settings["header"])
        exchange.variables[VARIABLE] = dict(self.settings)
        return None
