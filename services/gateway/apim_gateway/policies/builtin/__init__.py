"""The built-in policies, registered under WSO2's names when this package is imported."""

from apim_gateway.policies.builtin import (
    backend_jwt,
    claims,
    cors,
    headers,
    interceptor,
    json_fault,
    json_validator,
    log_message,
    regex_threat,
    request_rewrite,
    request_size,
    routing,
    transform,
)

__all__ = [
    "backend_jwt",
    "claims",
    "cors",
    "headers",
    "interceptor",
    "json_fault",
    "json_validator",
    "log_message",
    "regex_threat",
    "request_rewrite",
    "request_size",
    "routing",
    "transform",
]
