"""Lifecycle: a blocked API answers 503 700700."""

from __future__ import annotations

from apim_gateway.errors import API_BLOCKED, GatewayError
from apim_gateway.runtime.apis import CompiledApi


def check_lifecycle(api: CompiledApi) -> None:
    if api.blocked:
        raise GatewayError(
            503,
            API_BLOCKED,
            "This API has been blocked temporarily. Please try again later or contact the "
            "system administrators.",
        )
