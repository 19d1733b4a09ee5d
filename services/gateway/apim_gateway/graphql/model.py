"""What the request path reads of a query, without graphql-core: its analysis (``Analysis``,
priced per request by ``Cost``) and its refusals (``QueryRefused``, with WSO2's codes). Only
parsing needs graphql-core (``prepare.py``, ``schema.compile_schema``); it is loaded with the first
GraphQL API or query, so a gateway serving none never imports it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

INVALID_QUERY: Final = ("900422", "INVALID QUERY")
QUERY_TOO_DEEP: Final = ("900820", "QUERY TOO DEEP")
QUERY_TOO_COMPLEX: Final = ("900821", "QUERY TOO COMPLEX")
INTROSPECTION_OFF: Final = ("900908", "Resource forbidden ")
# WSO2's close codes of a GraphQL subscription over WebSocket.
CLOSE_FORBIDDEN = 4002
CLOSE_THROTTLED = 4003
CLOSE_TOO_DEEP = 4020
CLOSE_TOO_COMPLEX = 4021
CLOSE_INVALID = 4022


class QueryRefused(Exception):
    """A query the gateway answers itself: ``status`` with the WSO2 code, or ``close_code`` on a
    WebSocket."""

    def __init__(self, status: int, error: tuple[str, str], description: str, close_code: int) -> None:
        super().__init__(description)
        self.status = status
        self.code, self.message = error
        self.description = description
        self.close_code = close_code


def invalid(description: str) -> QueryRefused:
    return QueryRefused(400, INVALID_QUERY, description, CLOSE_INVALID)


@dataclass(frozen=True, slots=True)
class Cost:
    """A field's complexity, kept as a plan when a slicing argument comes from a variable."""

    own: int
    fixed: int  # literal slicing values, plus 1 per other argument
    variables: tuple[str, ...]  # slicing arguments given by variables, by variable name
    counted: bool  # False: a field without arguments, or a fragment (a factor of 1)
    children: tuple[Cost, ...]


def _factor(cost: Cost, variables: Mapping[str, Any]) -> int:
    if not cost.counted:
        return 1
    factor = cost.fixed
    for name in cost.variables:
        value = variables.get(name)
        factor += (value if value > 0 else 0) if type(value) is int else 1
    return factor


def total(costs: tuple[Cost, ...], variables: Mapping[str, Any]) -> int:
    """The complexity of ``costs`` with these variables (each shared node priced once)."""
    priced: dict[int, int] = {}

    def price(cost: Cost) -> int:
        known = priced.get(id(cost))
        if known is None:
            known = priced[id(cost)] = _factor(cost, variables) * (
                cost.own + sum(price(child) for child in cost.children)
            )
        return known

    return sum(price(cost) for cost in costs)


@dataclass(frozen=True, slots=True)
class Analysis:
    operation_type: str  # QUERY | MUTATION | SUBSCRIPTION
    fields: tuple[str, ...]  # the root fields selected, in order, each once: the operations
    depth: int
    introspection: bool  # reads __schema or __type
    costs: tuple[Cost, ...]
    # The complexity when no variable changes it; None: priced per request from its variables.
    complexity: int | None
    defaults: Mapping[str, Any]  # the operation's variable defaults

    def complexity_for(self, variables: Mapping[str, Any] | None) -> int:
        if self.complexity is not None:
            return self.complexity
        return total(self.costs, {**self.defaults, **(variables or {})})
