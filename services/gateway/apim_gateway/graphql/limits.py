"""The subscription tier's bounds on one query: ``graphQLMaxDepth`` (400 900820, close 4020) and
``graphQLMaxComplexity`` (400 900821, close 4021), 0 for no bound; and the API's introspection
switch (403)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apim_gateway.graphql.model import (
    CLOSE_FORBIDDEN,
    CLOSE_TOO_COMPLEX,
    CLOSE_TOO_DEEP,
    INTROSPECTION_OFF,
    QUERY_TOO_COMPLEX,
    QUERY_TOO_DEEP,
    Analysis,
    QueryRefused,
)


def check_limits(
    analysis: Analysis,
    variables: Mapping[str, Any] | None,
    *,
    max_depth: int,
    max_complexity: int,
    introspection: bool,
) -> None:
    """Raises ``QueryRefused`` for the first bound the query goes past."""
    if analysis.introspection and not introspection:
        raise QueryRefused(
            403,
            INTROSPECTION_OFF,
            "Introspection (__schema, __type) is switched off for this API",
            CLOSE_FORBIDDEN,
        )
    if max_depth > 0 and analysis.depth > max_depth:
        raise QueryRefused(
            400,
            QUERY_TOO_DEEP,
            f"The query's depth {analysis.depth} is above the maximum depth {max_depth}",
            CLOSE_TOO_DEEP,
        )
    if max_complexity > 0:
        complexity = analysis.complexity_for(variables)
        if complexity > max_complexity:
            raise QueryRefused(
                400,
                QUERY_TOO_COMPLEX,
                f"The query's complexity {complexity} is above the maximum complexity {max_complexity}",
                CLOSE_TOO_COMPLEX,
            )
