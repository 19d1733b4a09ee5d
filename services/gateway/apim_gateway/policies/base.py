"""The policy model (after Kong and APISIX plugins, Envoy filters).

A policy class is found by the engine under its entry point name (``discovery.py``); a built-in's
is WSO2's policy name (``addHeader``, ``jsonValidator``, ...), and ``register`` also keeps the
built-ins in ``REGISTRY`` by that name, for code that builds one directly. It is instantiated
once per attachment when a revision is deployed, with the parameters the publisher validated
against the policy's spec; ``__init__`` precomputes everything (compiled regexes, parsed schemas).
Per request only the flow hooks run:

- ``on_request``: may change ``exchange.request``; returns a ``Reply`` to answer without calling
  the backend (the chain stops there and the response flow runs on that reply);
- ``on_response``: may change ``exchange.response``;
- ``on_fault``: runs when the backend failed or a policy refused; may change the error response.

A hook raising ``PolicyRefusal`` answers the client with a gateway error body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from apim_gateway.context import Exchange, Headers
from apim_gateway.policies.services import PolicyServices


class PolicyConfigError(ValueError):
    """Parameters a policy cannot run with; raised at deploy time, never per request."""


@dataclass(slots=True)
class Reply:
    """An answer made by a policy instead of the backend's."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""


class PolicyRefusal(Exception):
    """A policy refuses the request: answered as ``{"code", "message", "description"}``."""

    def __init__(self, status: int, code: str, message: str, description: str = "") -> None:
        super().__init__(description or message)
        self.status = status
        self.code = code
        self.message = message
        self.description = description


class Policy:
    name: ClassVar[str]
    # The flows this policy may be attached to; the engine refuses any other at deploy time.
    applicable_flows: ClassVar[tuple[str, ...]] = ("request", "response", "fault")
    # The request (or response) body must be buffered before this policy runs in that flow.
    # A class default; an instance may set its own when only some configurations read the body.
    needs_request_body: bool = False
    needs_response_body: bool = False
    # The largest request body this policy lets through (requestSizeLimit); None: no opinion.
    max_request_body: int | None = None

    # The gateway's shared clients and background work, handed in when the chain is compiled.
    _services: PolicyServices | None = None

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        self.parameters = dict(parameters)

    def bind_services(self, services: PolicyServices) -> None:
        self._services = services

    @property
    def services(self) -> PolicyServices:
        """What the engine handed in; a policy used alone gets services of its own."""
        if self._services is None:
            self._services = PolicyServices()
        return self._services

    async def on_request(self, exchange: Exchange) -> Reply | None:
        return None

    async def on_response(self, exchange: Exchange) -> None:
        return None

    async def on_fault(self, exchange: Exchange) -> None:
        return None


REGISTRY: dict[str, type[Policy]] = {}


def register(cls: type[Policy]) -> type[Policy]:
    REGISTRY[cls.name] = cls
    return cls
