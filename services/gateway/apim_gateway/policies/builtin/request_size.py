"""requestSizeLimit: the largest request body an API (or one operation) accepts.

Not a WSO2 built-in (Kong's request-size-limiting is the model). The gateway-wide default is
``APIM_GATEWAY_MAX_REQUEST_BODY_SIZE``; this policy replaces it for the API or operation it is
attached to (several in one chain: the smallest holds). The policy does nothing per request:
the engine reads ``max_request_body`` into the chain, and the request path answers 413 for a
Content-Length above it before reading anything, or as soon as a body without one goes past it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apim_gateway.policies.base import register
from apim_gateway.policies.builtin._common import BuiltinPolicy


@register
class RequestSizeLimit(BuiltinPolicy):
    name = "requestSizeLimit"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.max_request_body: int | None = self.values["maxRequestBodySize"]
