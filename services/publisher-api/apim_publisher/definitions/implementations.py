"""What a definition may say about an API's own implementation (``endpointImplementationType``).

WSO2 runs an INLINE operation's JavaScript (``x-mediation-script``); scripts are not run here, so a
definition carrying one is refused. An INLINE operation answers ``x-static-response`` instead
(``{status, headers, body}``, docs/decisions/0011-mock-and-inline-implementations.md), else its examples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# endpointImplementationTypes the gateway answers from the definition, calling no endpoint.
MOCK_IMPLEMENTATIONS = frozenset(("MOCKED_OAS", "INLINE"))
SCRIPT = "x-mediation-script"
STATIC_RESPONSE = "x-static-response"
SCRIPTS_NOT_RUN = (
    "mediation scripts are not run; give the operation an x-static-response "
    "({status, headers, body}) for an INLINE implementation, or examples for MOCKED_OAS"
)
_VERBS = ("get", "put", "post", "delete", "patch", "head", "options")
_STATIC_KEYS = frozenset(("status", "headers", "body"))
MAX_STATIC_BODY = 1024 * 1024


def problems(document: Mapping[str, Any]) -> list[str]:
    """Every script and every malformed ``x-static-response`` of the document's operations."""
    found: list[str] = []
    paths = document.get("paths")
    for path, item in paths.items() if isinstance(paths, Mapping) else ():
        if not isinstance(item, Mapping):
            continue
        for verb in _VERBS:
            operation = item.get(verb)
            if not isinstance(operation, Mapping):
                continue
            where = f"paths.{path}.{verb}"
            if operation.get(SCRIPT):
                found.append(f"{where}.{SCRIPT}: {SCRIPTS_NOT_RUN}")
            if STATIC_RESPONSE in operation:
                static = _static_problems(operation[STATIC_RESPONSE])
                found += [f"{where}.{STATIC_RESPONSE}: {p}" for p in static]
    return found


def _static_problems(static: Any) -> list[str]:
    if not isinstance(static, Mapping):
        return ["must be an object {status, headers, body}"]
    found = [f"unknown field {k!r} (use status, headers, body)" for k in static if k not in _STATIC_KEYS]
    status = static.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        found.append("status must be an HTTP status code from 100 to 599")
    headers = static.get("headers", {})
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) and "\n" not in v and "\r" not in v
        for k, v in headers.items()
    ):
        found.append("headers must map header names to single-line string values")
    body = static.get("body")
    if isinstance(body, str) and len(body.encode()) > MAX_STATIC_BODY:
        found.append(f"body is larger than {MAX_STATIC_BODY} bytes")
    return found
