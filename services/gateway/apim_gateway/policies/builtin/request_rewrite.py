"""rewriteResourcePath, changeHTTPMethod and addQueryParam: what the backend is asked for."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from apim_gateway.context import Exchange
from apim_gateway.policies.base import Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy

# WSO2 writes path parameters in a rewritten path as {uri.var.NAME}.
_URI_VAR = re.compile(r"\{uri\.var\.([A-Za-z0-9_.-]+)\}")


@register
class RewriteResourcePath(BuiltinPolicy):
    name = "rewriteResourcePath"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        template: str = self.values["newResourcePath"]
        self.include_query: bool = self.values["includeQueryParams"]
        # Split once into literal text and parameter names: per request only a join.
        self.pieces: list[tuple[bool, str]] = []
        position = 0
        for match in _URI_VAR.finditer(template):
            self.pieces.append((False, template[position : match.start()]))
            self.pieces.append((True, match.group(1)))
            position = match.end()
        self.pieces.append((False, template[position:]))

    async def on_request(self, exchange: Exchange) -> Reply | None:
        params = exchange.path_params
        exchange.request.path = "".join(
            quote(params.get(text, ""), safe="") if is_param else text for is_param, text in self.pieces
        )
        if not self.include_query:
            exchange.request.query = ""
        return None


@register
class ChangeHTTPMethod(BuiltinPolicy):
    name = "changeHTTPMethod"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.current: str | None = self.values["currentMethod"]
        self.updated: str = self.values["updatedMethod"]

    async def on_request(self, exchange: Exchange) -> Reply | None:
        if self.current is None or exchange.request.method == self.current:
            exchange.request.method = self.updated
        return None


@register
class AddQueryParam(BuiltinPolicy):
    name = "addQueryParam"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.pair = urlencode({self.values["paramKey"]: self.values["paramValue"]})

    async def on_request(self, exchange: Exchange) -> Reply | None:
        query = exchange.request.query
        exchange.request.query = f"{query}&{self.pair}" if query else self.pair
        return None
