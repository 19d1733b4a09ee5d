"""A planned call's values checked against its operation's schema before anyone makes the call.

A model's answer (or a client's) names a tool and its values; :func:`check` answers them typed as
the schema says (``"5"`` for an integer becomes 5) or raises :class:`InvalidCall` naming what is
wrong: an unknown field, a missing path value or required body field, a value of the wrong type,
outside its enum or not in its format.
"""

from __future__ import annotations

import re
from typing import Any

from apim_devportal.apichat.tools import Tool

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


class InvalidCall(ValueError):
    """The values do not fit the operation's schema."""


def value(name: str, raw: Any, schema: dict[str, Any]) -> Any:
    """``raw`` as the schema's type, or :class:`InvalidCall`."""
    kind = schema.get("type")
    typed: Any = raw
    if kind == "integer":
        if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
            typed = int(raw)
        if isinstance(typed, bool) or not isinstance(typed, int):
            raise InvalidCall(f"{name} must be an integer")
    elif kind == "number":
        if isinstance(raw, str):
            try:
                typed = float(raw)
            except ValueError:
                typed = raw
        if isinstance(typed, bool) or not isinstance(typed, int | float):
            raise InvalidCall(f"{name} must be a number")
    elif kind == "boolean":
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            typed = raw.lower() == "true"
        if not isinstance(typed, bool):
            raise InvalidCall(f"{name} must be true or false")
    elif kind == "array":
        if not isinstance(raw, list):
            raise InvalidCall(f"{name} must be an array")
    elif kind == "object":
        if not isinstance(raw, dict):
            raise InvalidCall(f"{name} must be an object")
    elif kind == "string" or kind is None:
        if isinstance(raw, int | float) and not isinstance(raw, bool) and kind == "string":
            typed = str(raw)
        if kind == "string" and not isinstance(typed, str):
            raise InvalidCall(f"{name} must be a string")
        fmt = schema.get("format")
        if fmt == "date" and not _DATE.fullmatch(str(typed)):
            raise InvalidCall(f"{name} must be a date (YYYY-MM-DD)")
        if fmt == "date-time" and not _DATE_TIME.fullmatch(str(typed)):
            raise InvalidCall(f"{name} must be a date-time (YYYY-MM-DDThh:mm:ss)")
    enum = schema.get("enum")
    if enum and typed not in enum:
        raise InvalidCall(f"{name} must be one of {', '.join(map(str, enum))}")
    return typed


def check(tool: Tool, parameters: dict[str, Any], body: Any) -> tuple[dict[str, Any], Any]:
    """The parameters and body typed as ``tool``'s schema says, or :class:`InvalidCall`."""
    known = {p.name: p for p in tool.parameters if p.location != "header"}
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise InvalidCall(f"{tool.method} {tool.path} has no parameter {', '.join(unknown)}")
    typed = {name: value(name, raw, known[name].schema) for name, raw in parameters.items()}
    missing = [p.name for p in known.values() if p.required and p.name not in typed]
    if missing:
        raise InvalidCall(f"{tool.method} {tool.path} needs {', '.join(missing)}")
    if tool.body is None:
        if body not in (None, {}):
            raise InvalidCall(f"{tool.method} {tool.path} takes no request body")
        return typed, None
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise InvalidCall("the request body must be a JSON object")
    extra = sorted(set(body) - set(tool.body))
    if extra:
        raise InvalidCall(f"the request body has no field {', '.join(extra)}")
    absent = [name for name in tool.body_required if name not in body]
    if absent:
        raise InvalidCall(f"the request body needs {', '.join(absent)}")
    return typed, {name: value(name, raw, tool.body[name]) for name, raw in body.items()}
