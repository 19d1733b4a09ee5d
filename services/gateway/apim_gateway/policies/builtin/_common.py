"""What the built-in policies share: spec-checked construction and body/header helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from apim_gateway.context import Headers, header, set_header
from apim_gateway.policies.base import Policy, PolicyConfigError
from apim_gateway.policies.specs import BUILTIN_SPECS, PolicySpec, resolve_parameters, validate_parameters

# Framing belongs to the request path: whoever sends a changed body sends its Content-Length.
_FRAMING = frozenset(("content-length", "transfer-encoding"))


class BuiltinPolicy(Policy):
    """A policy whose parameters are checked against its spec in ``BUILTIN_SPECS``."""

    spec: ClassVar[PolicySpec]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:  # an intermediate base, not a policy
            return
        cls.spec = BUILTIN_SPECS[cls.name]
        cls.applicable_flows = tuple(cls.spec["applicableFlows"])

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        errors = validate_parameters(self.spec, parameters)
        if errors:
            raise PolicyConfigError(f"{self.name}: {'; '.join(errors)}")
        self.values = resolve_parameters(self.spec, parameters)

    def config_error(self, attribute: str, reason: str) -> PolicyConfigError:
        return PolicyConfigError(f"{self.name}: {attribute}: {reason}")


def utf8(text: str) -> bytes:
    """``text`` as RE2 reads it. JSON may carry a lone surrogate ("\\ud800"), which strict UTF-8
    cannot encode: it goes as the bytes Python writes for it, so a pattern search never raises."""
    return text.encode("utf-8", "surrogatepass")


def media_type(headers: Headers) -> str:
    """The Content-Type without parameters, lower-case ('' when absent)."""
    value = header(headers, "content-type") or ""
    return value.split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def is_xml(media: str) -> bool:
    return media in ("application/xml", "text/xml") or media.endswith("+xml")


def is_encoded(headers: Headers) -> bool:
    """A compressed body cannot be read or rewritten as text."""
    encoding = header(headers, "content-encoding")
    return encoding is not None and encoding.strip().lower() not in ("", "identity")


def body_replaced(headers: Headers, content_type: str | None = None) -> None:
    """After a policy replaced a body: drop the old framing and, if given, set the new type."""
    headers[:] = [(k, v) for k, v in headers if k not in _FRAMING]
    if content_type is not None:
        set_header(headers, "content-type", content_type)


_HOP_BY_HOP = frozenset(
    (
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "upgrade",
        *_FRAMING,
    )
)


def outgoing_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    """Headers for a request the gateway sends itself (the client sets Host and framing)."""
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers if k not in _HOP_BY_HOP]
