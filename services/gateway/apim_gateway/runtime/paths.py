"""The request path as the gateway routes it and as the backend receives it.

An ASGI server hands over the path twice: as the client sent it (``raw_path``) and
percent-decoded (``path``). Routing on the decoded copy and forwarding it lets ``%2e%2e`` pick an
unsecured resource and then climb, at the backend, into a secured one (or out of the endpoint's
base path), and lets ``%0d%0a`` write a new line into the backend request. So the gateway works
from the raw path, once per request, before routing:

- dot-segments (``.``, ``..``, also encoded as ``%2e``) are resolved as RFC 3986 does, so what is
  routed and what the backend receives is the same path, which never climbs above ``/``;
- a segment that decodes to a '/' or '\\' (``%2f``, ``%5c``), to a control character (CR, LF,
  NUL...), or a dot-segment carrying parameters (``..;x``, which Java servers read as ``..``) is
  refused (``BadPath``, answered 400);
- the backend receives each segment as the client encoded it (``%20`` stays ``%20``); raw bytes
  that may not stand in a request line are percent-encoded.

A path without '%', without a dot-segment candidate and without odd bytes (nearly every request)
is taken as it is after one scan.
"""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes, unquote_to_bytes

__all__ = ["BadPath", "encoded_resource", "split_path"]

# Anything that needs a closer look: '%', a segment starting with '.', '\', or a byte outside
# the printable ASCII range (control characters, space, non-ASCII).
_SUSPECT = re.compile(rb"[%\\\x00-\x20\x7f-\xff]|/\.")
_RAW_FORBIDDEN = re.compile(rb"[\x00-\x20\x7f]")
_DECODED_FORBIDDEN = re.compile(rb"[/\\\x00-\x1f\x7f]")
# Printable ASCII but '%' stays as it is (the client's escapes are kept); the rest is escaped.
_KEEP = bytes(range(0x21, 0x7F)).decode("ascii")
_DOTS = (b".", b"..")
_WHAT = {
    b"/": "an encoded '/' inside a segment",
    b"\\": "a '\\' (which some servers read as '/')",
}


class BadPath(ValueError):
    """A request path the gateway refuses to route (answered 400)."""


def split_path(raw: bytes) -> tuple[str, str]:
    """``(decoded, encoded)``: the path to route on and the same path as the backend receives it.

    Both have the same segments (dot-segments resolved), one decoded, one as the client encoded it.
    """
    if _SUSPECT.search(raw) is None:
        path = raw.decode("ascii")
        return path, path
    if not raw.startswith(b"/"):
        raise BadPath("The request path must start with '/'")
    if _RAW_FORBIDDEN.search(raw) is not None:
        raise BadPath("The request path holds a space or a control character")
    decoded: list[str] = []
    encoded: list[str] = []
    segments = raw.split(b"/")[1:]
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        plain = unquote_to_bytes(segment) if b"%" in segment else segment
        bad = _DECODED_FORBIDDEN.search(plain)
        if bad is not None:
            raise BadPath(f"The request path holds {_WHAT.get(bad.group(), 'a control character')}")
        name = plain.split(b";", 1)[0] if b";" in plain else plain
        if name in _DOTS:
            if name != plain:
                raise BadPath("The request path holds a dot-segment with parameters")
            if name == b".." and decoded:
                decoded.pop()
                encoded.pop()
            if index == last:  # "/a/.." is "/a/": the path still ends with '/'
                decoded.append("")
                encoded.append("")
            continue
        decoded.append(plain.decode("utf-8", "replace"))
        encoded.append(quote_from_bytes(segment, safe=_KEEP) if not segment.isascii() else segment.decode())
    return "/" + "/".join(decoded), "/" + "/".join(encoded)


def encoded_resource(resource: str, decoded: str, encoded: str) -> str:
    """The encoded form of ``resource``, the path below the API that routing cut from ``decoded``."""
    if encoded == decoded:
        return resource
    if not decoded.endswith(resource):  # routing answered "/" for a path ending at the version
        return "/"
    return "/" + "/".join(encoded.rsplit("/", resource.count("/"))[1:])
