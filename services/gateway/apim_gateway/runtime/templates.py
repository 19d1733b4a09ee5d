"""URI templates (``/orders/{id}``, ``/files/*``) compiled once into a literal or a regex."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_PARAM = re.compile(r"\{([^{}/]+)\}")
# What a parameter or a '*' may match within one segment: never a dot-segment or a control
# character (the request path reaches the templates resolved and refused of those; this is the
# second lock, so that a template alone never lets '..' or CR through).
_SEGMENT = r"(?!\.\.?(?:/|\Z))[^/\x00-\x1f\x7f]"
_IN_SEGMENT = r"[^/\x00-\x1f\x7f]*"


@dataclass(frozen=True, slots=True)
class Template:
    target: str
    # A template without parameters or wildcards matches one path: a dict lookup, no regex.
    literal: str | None
    regex: re.Pattern[str] | None
    # Literal characters: more specific templates are tried first.
    specificity: int

    def match(self, path: str) -> dict[str, str] | None:
        if self.literal is not None:
            return {} if path == self.literal else None
        assert self.regex is not None
        m = self.regex.fullmatch(path)
        return m.groupdict() if m is not None else None


def _normalise(target: str) -> str:
    target = target.split("?", 1)[0].strip() or "/"
    if not target.startswith("/"):
        target = "/" + target
    if len(target) > 1 and target.endswith("/") and not target.endswith("/*/"):
        target = target.rstrip("/")
    return target


@lru_cache(maxsize=4096)
def compile_template(target: str) -> Template:
    """``{name}`` matches one path segment; ``*`` at the end matches the rest (also nothing).

    Anchored at both ends (``fullmatch``; ``$`` would also match before a final newline).
    Kept per target: a template is immutable, and thousands of APIs share ``/items/{id}``, so a
    snapshot compiles each once and holds one copy of it.
    """
    target = _normalise(target)
    if "{" not in target and "*" not in target:
        return Template(target, target, None, len(target))
    pattern: list[str] = []
    position = 0
    literal_chars = 0
    names: set[str] = set()
    body = target
    tail_wildcard = body.endswith("/*")
    if tail_wildcard:
        body = body[:-2]
    for m in _PARAM.finditer(body):
        chunk = body[position : m.start()]
        pattern.append(re.escape(chunk).replace(r"\*", _IN_SEGMENT))
        literal_chars += len(chunk)
        name = re.sub(r"\W", "_", m.group(1))
        if name in names or not name or name[0].isdigit():
            pattern.append(f"{_SEGMENT}+")
        else:
            names.add(name)
            pattern.append(f"(?P<{name}>{_SEGMENT}+)")
        position = m.end()
    chunk = body[position:]
    pattern.append(re.escape(chunk).replace(r"\*", _IN_SEGMENT))
    literal_chars += len(chunk)
    if tail_wildcard:
        pattern.append(f"(?:/(?:{_SEGMENT}{_IN_SEGMENT})?)*")
    pattern.append("/?")
    return Template(target, None, re.compile("".join(pattern)), literal_chars)
