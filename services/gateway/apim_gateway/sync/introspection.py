"""``GET /internal/state``: what this gateway serves, for operators and convergence checks.

Lists every deployed API with its revision and lifecycle state, and the snapshot/resync
counters. Protected like the control plane's internal endpoints: a key-manager token with the
``apim:internal`` scope. It reads the model and is never on the request path of an API.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from starlette.types import Scope, Send

from apim_common.jwt import InvalidToken, JWKSVerifier, http_jwks_fetcher
from apim_common.security import INTERNAL_SCOPE, Principal
from apim_gateway.sync.syncer import Syncer

PATH = "/internal/state"


def state_view(syncer: Syncer) -> dict[str, Any]:
    apis = {
        api_id: {
            "revisionId": api.revision_id,
            "lifeCycleStatus": api.lifecycle,
            "context": api.context,
            "version": api.version,
        }
        for api_id, api in syncer.state.apis.items()
    }
    return {
        "environment": syncer.state.environment,
        "apis": apis,
        "snapshotComplete": syncer.complete.is_set(),
        "resyncs": syncer.resyncs,
        "eventsApplied": syncer.events_applied,
    }


class StateEndpoint:
    def __init__(self, syncer: Syncer, http: httpx.AsyncClient, key_manager_url: str, issuer: Any) -> None:
        self._syncer = syncer
        self._verifier = JWKSVerifier(
            http_jwks_fetcher(http, f"{key_manager_url.rstrip('/')}/oauth2/jwks"), issuer=issuer
        )

    async def authorised(self, headers: list[tuple[bytes, bytes]]) -> bool:
        header = next((v.decode("latin-1") for k, v in headers if k == b"authorization"), "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        try:
            claims = await self._verifier.verify(token.strip())
        except (InvalidToken, httpx.HTTPError):
            return False
        return INTERNAL_SCOPE in Principal.from_claims(claims).scopes

    async def __call__(self, scope: Scope, send: Send) -> None:
        if not await self.authorised(scope.get("headers") or []):
            status, body = 401, {"code": "900901", "message": "Invalid Credentials"}
        else:
            status, body = 200, state_view(self._syncer)
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
