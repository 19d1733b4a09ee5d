"""jsonToXML and xmlToJson: convert the body between JSON and XML, after WSO2's conventions.

JSON to XML: an object becomes ``<jsonObject>`` (or the configured root) with one child element per
key, an array value repeats its element, a top-level array becomes ``<jsonArray>`` of
``<jsonElement>``; keys ``@name`` become attributes and ``$`` the text, the way XML to JSON writes
them. XML to JSON: elements become keys (namespace dropped), repeated elements arrays, attributes
``@name``, text beside children or attributes ``$``; texts that read as numbers or booleans become
those (WSO2's auto-primitive); WSO2's own ``jsonObject``/``jsonArray`` roots are unwrapped.

A request body that cannot be converted is refused with 400; a response body that cannot be
converted is passed on unchanged (the client still gets the backend's answer). Compressed bodies
are left alone. XML is parsed with defusedxml: no DTD entity expansion, no external entities.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import ParseError, fromstring  # type: ignore[import-untyped]

from apim_gateway.context import Exchange, GatewayResponse, Headers
from apim_gateway.policies.base import PolicyRefusal, Reply, register
from apim_gateway.policies.builtin._common import (
    BuiltinPolicy,
    body_replaced,
    is_encoded,
    is_json,
    is_xml,
    media_type,
)

logger = logging.getLogger(__name__)

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_INT = re.compile(r"^-?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")


class ConversionError(ValueError):
    pass


# ---- JSON -> XML


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$":
                element.text = _scalar_text(item)
            elif key.startswith("@") and not isinstance(item, dict | list):
                if not _XML_NAME.match(key[1:]):
                    raise ConversionError(f"{key!r} cannot be an XML attribute name")
                element.set(key[1:], _scalar_text(item))
            else:
                if not _XML_NAME.match(key):
                    raise ConversionError(f"{key!r} cannot be an XML element name")
                for one in item if isinstance(item, list) else [item]:
                    _fill(SubElement(element, key), one)
    elif isinstance(value, list):
        for item in value:
            _fill(SubElement(element, "jsonElement"), item)
    else:
        element.text = _scalar_text(value)


def json_to_xml(body: bytes, root: str = "jsonObject") -> bytes:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ConversionError(f"the body is not valid JSON: {exc}") from exc
    element = Element("jsonArray" if isinstance(document, list) else root)
    try:
        _fill(element, document)
    except RecursionError as exc:
        raise ConversionError("the JSON is nested too deeply") from exc
    xml: bytes = tostring(element, encoding="utf-8", xml_declaration=False)
    return xml


# ---- XML -> JSON


def xml_scalar(text: str) -> Any:
    """An XML text as WSO2's JSON reads it: booleans and numbers typed, anything else a string."""
    if text == "true":
        return True
    if text == "false":
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def local_name(tag: str) -> str:
    """An element's or attribute's name without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


def element_value(element: Element, *, schema_instance: bool = False) -> Any:
    """One element as JSON: its text, or an object of its attributes (``@name``), its children (an
    array where a name repeats) and its own text (``$``). With ``schema_instance`` (SOAP answers),
    ``xsi:nil`` makes it null and the ``xsi:`` attributes are left out."""
    if schema_instance and element.get(f"{XSI}nil") in ("true", "1"):
        return None
    text = (element.text or "").strip()
    attributes = element.attrib
    if schema_instance:
        attributes = {k: v for k, v in attributes.items() if not k.startswith(XSI)}
    children = list(element)
    if not children and not attributes:
        return xml_scalar(text) if text else None
    value: dict[str, Any] = {f"@{local_name(k)}": xml_scalar(v) for k, v in attributes.items()}
    arrays: set[str] = set()
    for child in children:
        key, item = local_name(child.tag), element_value(child, schema_instance=schema_instance)
        if key in arrays:
            value[key].append(item)
        elif key in value:
            value[key] = [value[key], item]
            arrays.add(key)
        else:
            value[key] = item
    if text:
        value["$"] = xml_scalar(text)
    return value


def xml_to_json(body: bytes) -> bytes:
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException, RecursionError) as exc:
        raise ConversionError(f"the body is not acceptable XML: {exc}") from exc
    name = local_name(root.tag)
    document: Any
    try:
        if name == "jsonArray":
            document = [element_value(child) for child in root]
        elif name == "jsonObject":
            document = element_value(root)
            if document is None:
                document = {}
        else:
            document = {name: element_value(root)}
    except RecursionError as exc:
        raise ConversionError("the XML is nested too deeply") from exc
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# ---- the policies


def _refuse(reason: str) -> PolicyRefusal:
    return PolicyRefusal(400, "400", "Bad Request", reason)


class _Converter(BuiltinPolicy):
    needs_request_body = True
    needs_response_body = True
    target_type = ""

    def accepts(self, media: str) -> bool:
        raise NotImplementedError

    def convert(self, body: bytes) -> bytes:
        raise NotImplementedError

    def _applies(self, headers: Headers, body: bytes | None) -> bool:
        if not body or is_encoded(headers):
            return False
        media = media_type(headers)
        return not media or self.accepts(media)

    async def on_request(self, exchange: Exchange) -> Reply | None:
        request = exchange.request
        body = await exchange.request_body()
        if not self._applies(request.headers, body):
            return None
        try:
            request.body = self.convert(body)
        except ConversionError as exc:
            raise _refuse(str(exc)) from exc
        body_replaced(request.headers, self.target_type)
        return None

    async def on_response(self, exchange: Exchange) -> None:
        response: GatewayResponse | None = exchange.response
        if response is None or not self._applies(response.headers, response.body):
            return
        assert response.body is not None
        try:
            response.body = self.convert(response.body)
        except ConversionError as exc:
            logger.warning("%s: response body left as it is: %s", self.name, exc)
            return
        body_replaced(response.headers, self.target_type)


@register
class JsonToXml(_Converter):
    name = "jsonToXML"
    target_type = "application/xml"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.root: str = self.values["rootElement"]

    def accepts(self, media: str) -> bool:
        return is_json(media)

    def convert(self, body: bytes) -> bytes:
        return json_to_xml(body, self.root)


@register
class XmlToJson(_Converter):
    name = "xmlToJson"
    target_type = "application/json"

    def accepts(self, media: str) -> bool:
        return is_xml(media)

    def convert(self, body: bytes) -> bytes:
        return xml_to_json(body)
