"""An API's ``corsConfiguration``: when enabled, the built-in CORS policy runs on every operation
of the API, ahead of the tenant's global policies, as WSO2's CORS handler runs ahead of the rest.

A CORS policy attached to the API or an operation still runs after it and has the last word on
the headers of its own operations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apim_gateway.policies.engine import FLOWS, FlowPolicies

CORS_FLOWS = ("request", "response")


def _joined(value: Any) -> str | None:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ",".join(str(item) for item in value)
    return None


def cors_attachment(configuration: Any) -> Mapping[str, Any] | None:
    """The CORS policy the configuration asks for, or None when it is absent or disabled."""
    if not isinstance(configuration, Mapping) or not configuration.get("corsConfigurationEnabled"):
        return None
    parameters: dict[str, Any] = {
        "accessControlAllowCredentials": bool(configuration.get("accessControlAllowCredentials")),
    }
    for name in ("accessControlAllowOrigins", "accessControlAllowMethods", "accessControlAllowHeaders"):
        joined = _joined(configuration.get(name))
        if joined:
            parameters[name] = joined
    return {"policyName": "CORS", "policyVersion": "v1", "parameters": parameters}


def with_api_cors(global_policies: FlowPolicies | None, configuration: Any) -> FlowPolicies | None:
    """The policies that run before the API's own: the API's CORS first, then the global ones."""
    attachment = cors_attachment(configuration)
    if attachment is None:
        return global_policies
    current = global_policies or {}
    return {
        flow: [*((attachment,) if flow in CORS_FLOWS else ()), *(current.get(flow) or ())] for flow in FLOWS
    }
