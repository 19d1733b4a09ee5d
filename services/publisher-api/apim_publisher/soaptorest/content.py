"""A mapping as the text a publisher reads and edits (``ResourcePolicyInfo.content``).

The request side (sequence type ``in``) is one ``key: value`` line per part of the mapping, in a
fixed set of keys; ``#`` starts a comment line. Reading it back is strict: an unknown, repeated or
missing key, or a value the gateway could not use, is refused naming the line and the key. The
response side (``out``) is fixed and only described.
"""

from __future__ import annotations

from apim_publisher.soaptorest.schemas import SOAP_VERSIONS, SoapMapping, check_action, check_xml_name

KEYS = ("soapVersion", "soapAction", "namespace", "element", "qualified", "fields")
RESPONSE_RULES = (
    "# The SOAP answer becomes JSON (fixed; see docs/decisions/0026-soap-to-rest-mapping.md):\n"
    "# body elements are keys by local name, a repeated element an array, attributes '@name',\n"
    "# text beside children '$', numbers and booleans as such, an empty element null.\n"
    '# A SOAP fault is answered 500 as {"Fault": {"faultcode", "faultstring", "detail"}}.\n'
)


class ContentError(ValueError):
    pass


def render(mapping: SoapMapping) -> str:
    return (
        f"# {mapping.httpVerb.upper()} /{mapping.resourcePath.strip('/')}: "
        "the JSON body's fields become the SOAP request\n"
        f"soapVersion: {mapping.soapVersion}\n"
        f"soapAction: {mapping.soapAction}\n"
        f"namespace: {mapping.namespace}\n"
        f"element: {mapping.element}\n"
        f"qualified: {'true' if mapping.qualified else 'false'}\n"
        f"fields: {', '.join(mapping.fields)}\n"
    )


def _value(key: str, raw: str) -> str | bool | list[str]:
    if key == "soapVersion":
        if raw not in SOAP_VERSIONS:
            raise ValueError(f"soapVersion must be 1.1 or 1.2, not {raw!r}")
        return raw
    if key == "soapAction":
        return check_action(raw)
    if key == "namespace":
        if any(c.isspace() for c in raw):
            raise ValueError(f"namespace {raw!r} may not hold spaces")
        return raw
    if key == "element":
        return check_xml_name(raw, "element")
    if key == "qualified":
        if raw not in ("true", "false"):
            raise ValueError(f"qualified must be true or false, not {raw!r}")
        return raw == "true"
    fields = [f.strip() for f in raw.split(",")] if raw else []
    for name in fields:
        check_xml_name(name, "field")
    if len(set(fields)) != len(fields):
        raise ValueError("fields names one field twice")
    return fields


def parse(text: str, current: SoapMapping) -> SoapMapping:
    """``current`` with the values the text gives; every key must be given once."""
    found: dict[str, str | bool | list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, colon, raw = stripped.partition(":")
        key = key.strip()
        if not colon:
            raise ContentError(f"line {number}: expected 'key: value', got {stripped!r}")
        if key not in KEYS:
            raise ContentError(f"line {number}: unknown key {key!r} (the keys are {', '.join(KEYS)})")
        if key in found:
            raise ContentError(f"line {number}: {key} is given twice")
        try:
            found[key] = _value(key, raw.strip())
        except ValueError as exc:
            raise ContentError(f"line {number}: {exc}") from None
    missing = [k for k in KEYS if k not in found]
    if missing:
        raise ContentError(f"missing: {', '.join(missing)}")
    return current.model_copy(update=found)
