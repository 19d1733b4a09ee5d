"""stampCaller: sets a header on the request the backend receives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apim_gateway.context import Exchange, set_header
from apim_gateway.policies import Policy, PolicyConfigError, Reply


class StampCaller(Policy):
    name = "stampCaller"
    applicable_flows = ("request",)

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        # Runs once when a revision is deployed: check and precompute here, not per request.
        super().__init__(parameters)
        self.header = str(parameters.get("header") or "").lower()
        if not self.header:
            raise PolicyConfigError("stampCaller: header is required")
        self.value = str(parameters.get("value") or "stamped")

    async def on_request(self, exchange: Exchange) -> Reply | None:
        set_header(exchange.request.headers, self.header, self.value)
        return None
