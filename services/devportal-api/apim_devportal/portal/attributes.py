"""Custom application attributes an operator configures (WSO2's ApplicationConfiguration)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apim_common.errors import BadRequest


def validate_attributes(given: dict[str, str], configured: Sequence[dict[str, Any]]) -> dict[str, str]:
    """``given`` with configured defaults filled in; a missing required attribute is refused."""
    result = dict(given)
    for attribute in configured:
        name = str(attribute.get("attribute") or "")
        if not name or name in result:
            continue
        default = attribute.get("default")
        if default not in (None, ""):
            result[name] = str(default)
        elif str(attribute.get("required", "false")).lower() == "true":
            raise BadRequest(f"Application attribute '{name}' is required", message="Missing Attribute")
    return result
