"""regexPolicy: WSO2's regular-expression threat protection.

The pattern is searched (case-insensitive, like WSO2's protector) in each header value, in the
URL-decoded resource path and query, and in the body. A match answers 400 with WSO2's threat
fault: ``{"code": "400", "message": "Bad Request", "description": "<threatType> Threat detected
in ..."}``; the backend is not called.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, unquote_plus

from apim_gateway.context import Exchange
from apim_gateway.policies.base import PolicyRefusal, Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy, is_encoded

THREAT_CODE = "400"
THREAT_MESSAGE = "Bad Request"


@register
class RegexThreatProtection(BuiltinPolicy):
    name = "regexPolicy"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        try:
            self.pattern = re.compile(self.values["regex"], re.IGNORECASE | re.DOTALL)
        except re.error as exc:
            raise self.config_error("regex", f"not a valid regular expression: {exc}") from exc
        self.threat_type: str = self.values["threatType"] or "Regex"
        self.check_headers: bool = self.values["enabledCheckHeaders"]
        self.check_path: bool = self.values["enabledCheckPathParams"]
        self.check_body: bool = self.values["enabledCheckBody"]
        self.needs_request_body = self.check_body

    def _threat(self, where: str) -> PolicyRefusal:
        return PolicyRefusal(
            400, THREAT_CODE, THREAT_MESSAGE, f"{self.threat_type} Threat detected in {where}"
        )

    async def on_request(self, exchange: Exchange) -> Reply | None:
        request = exchange.request
        search = self.pattern.search
        if self.check_headers and any(search(value) for _, value in request.headers):
            raise self._threat("HTTP Headers")
        if self.check_path:
            if search(unquote(request.path)):
                raise self._threat("Resource Path")
            if request.query and search(unquote_plus(request.query)):
                raise self._threat("Query Parameters")
        if self.check_body and not is_encoded(request.headers):
            body = await exchange.request_body()
            if body and search(body.decode("utf-8", errors="replace")):
                raise self._threat("Payload")
        return None
