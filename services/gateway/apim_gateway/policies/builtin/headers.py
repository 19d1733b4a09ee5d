"""addHeader and removeHeader: on the request in the request flow, on the response otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apim_gateway.context import Exchange, remove_header, set_header
from apim_gateway.policies.base import Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy


@register
class AddHeader(BuiltinPolicy):
    name = "addHeader"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.header_name: str = self.values["headerName"].lower()
        self.header_value: str = self.values["headerValue"]

    async def on_request(self, exchange: Exchange) -> Reply | None:
        set_header(exchange.request.headers, self.header_name, self.header_value)
        return None

    async def on_response(self, exchange: Exchange) -> None:
        if exchange.response is not None:
            set_header(exchange.response.headers, self.header_name, self.header_value)

    on_fault = on_response


@register
class RemoveHeader(BuiltinPolicy):
    name = "removeHeader"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.header_name: str = self.values["headerName"].lower()

    async def on_request(self, exchange: Exchange) -> Reply | None:
        remove_header(exchange.request.headers, self.header_name)
        return None

    async def on_response(self, exchange: Exchange) -> None:
        if exchange.response is not None:
            remove_header(exchange.response.headers, self.header_name)

    on_fault = on_response
