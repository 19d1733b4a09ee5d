"""The stored mapping of one SOAP-to-REST resource, and WSO2's resource-policy shapes."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
SOAP_VERSIONS = ("1.1", "1.2")


def check_xml_name(value: str, what: str) -> str:
    if not XML_NAME.match(value):
        raise ValueError(f"{what} {value!r} is not an XML element name")
    return value


def check_action(value: str) -> str:
    if any(c in value for c in '"\r\n'):
        raise ValueError("soapAction may not hold a double quote or a line break")
    return value


class SoapMapping(BaseModel):
    """What the gateway needs to call one WSDL operation from one REST resource (kept in the
    API's ``soapToRest``, taken into each revision and the runtime artifact)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    resourcePath: str
    httpVerb: str = "post"
    soapVersion: Literal["1.1", "1.2"]
    soapAction: str
    namespace: str
    element: str
    # Whether the fields are in the operation's namespace (elementFormDefault="qualified").
    qualified: bool = True
    fields: list[str] = Field(default_factory=list)

    @field_validator("element")
    @classmethod
    def _element(cls, value: str) -> str:
        return check_xml_name(value, "element")

    @field_validator("soapAction")
    @classmethod
    def _action(cls, value: str) -> str:
        return check_action(value)

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: list[str]) -> list[str]:
        for name in value:
            check_xml_name(name, "field")
        if len(set(value)) != len(value):
            raise ValueError("a field is named twice")
        return value


class ResourcePolicyInfo(BaseModel):
    """WSO2's ResourcePolicyInfo: ``content`` is the mapping as readable text."""

    id: str | None = None
    httpVerb: str | None = None
    resourcePath: str | None = None
    content: str


class ResourcePolicyList(BaseModel):
    list: list[ResourcePolicyInfo]
    count: int
