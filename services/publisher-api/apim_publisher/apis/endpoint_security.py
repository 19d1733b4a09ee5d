"""An API's backend credentials (``endpointConfig.endpoint_security``): their shape, sealed at rest,
never shown.

Per side (``production``, ``sandbox``) as WSO2 4.3 has it::

    {"enabled": true, "type": "BASIC" | "DIGEST" | "OAUTH", "username": ..., "password": ...,
     "grantType": "CLIENT_CREDENTIALS" | "PASSWORD", "tokenUrl": ..., "clientId": ...,
     "clientSecret": ..., "customParameters": {...}}

``password`` and ``clientSecret`` are sealed with APIM_SECRET_KEY before they are stored, travel
sealed in revisions and runtime artifacts (a gateway opens them when it compiles the revision),
and every view shows them as WSO2 does: an empty string. An update that sends the empty string
back keeps the stored secret, as long as whom it authenticates (type, username, clientId,
tokenUrl) is unchanged; otherwise the secret has to be sent again.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from apim_common.errors import BadRequest, ErrorListItem
from apim_common.sealed import ENDPOINT_SECRETS, SecretBox, is_sealed
from apim_common.settings import ServiceSettings

MASK = ""
# Sealed, a secret grows by a third plus the JWE header: 1 KiB fits the stored field's 4 KiB.
MAX_SECRET = 1024
SIDES = ("production", "sandbox")
SECRET_FIELDS = ("password", "clientSecret")
# What a stored secret authenticates: changing any of these needs the secret sent again.
_IDENTITY = ("type", "username", "clientId", "tokenUrl", "grantType")
_FIELD = "endpointConfig.endpoint_security"


class EndpointSecuritySide(BaseModel):
    """One side's backend credentials; WSO2's form fields beyond these are taken at their inert
    defaults only, since the gateway has nothing to do with other values."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    type: Literal["NONE", "BASIC", "DIGEST", "OAUTH"] = "NONE"
    username: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=4096)
    grantType: Literal["CLIENT_CREDENTIALS", "PASSWORD"] | None = None
    tokenUrl: str | None = Field(default=None, max_length=2048)
    clientId: str | None = Field(default=None, max_length=255)
    clientSecret: str | None = Field(default=None, max_length=4096)
    customParameters: dict[str, str] = Field(default_factory=dict)
    additionalProperties: dict[str, Any] = Field(default_factory=dict)
    connectionTimeoutDuration: float = -1
    connectionRequestTimeoutDuration: float = -1
    socketTimeoutDuration: float = -1
    proxyConfigs: dict[str, Any] | None = None
    uniqueIdentifier: str | None = None

    @field_validator("type", "grantType", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        # apictl's params files write basic/digest/oauth and client_credentials.
        return value.upper() if isinstance(value, str) else value

    @field_validator("customParameters")
    @classmethod
    def _custom_parameters(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = {"grant_type", "client_id", "client_secret", "username", "password"} & set(value)
        if reserved:
            raise ValueError(f"customParameters may not set {', '.join(sorted(reserved))}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> EndpointSecuritySide:
        if self.additionalProperties:
            raise ValueError("additionalProperties are not supported; use customParameters")
        for name in (
            "connectionTimeoutDuration",
            "connectionRequestTimeoutDuration",
            "socketTimeoutDuration",
        ):
            if getattr(self, name) != -1:
                raise ValueError(f"{name} is not supported; the endpoint's own timeouts apply")
        if self.proxyConfigs and self.proxyConfigs.get("proxyEnabled"):
            raise ValueError("proxyConfigs: a proxy for the token endpoint is not supported")
        if self.uniqueIdentifier:
            raise ValueError("uniqueIdentifier is not supported; tokens are cached per credentials")
        if not self.enabled:
            return self
        if self.type == "NONE":
            raise ValueError("type must be BASIC, DIGEST or OAUTH when enabled")
        if self.type in ("BASIC", "DIGEST"):
            if not self.username:
                raise ValueError(f"{self.type} needs a username")
            unused = [
                n for n in ("grantType", "tokenUrl", "clientId", "customParameters") if getattr(self, n)
            ]
            if unused:
                raise ValueError(f"{', '.join(unused)}: not used by a {self.type} endpoint")
        if self.type == "OAUTH":
            if self.grantType is None:
                raise ValueError("OAUTH needs grantType CLIENT_CREDENTIALS or PASSWORD")
            url = urlsplit(self.tokenUrl or "")
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ValueError("OAUTH needs tokenUrl, an http(s) URL")
            if not self.clientId:
                raise ValueError("OAUTH needs a clientId")
            if self.grantType == "PASSWORD" and not self.username:
                raise ValueError("the PASSWORD grant needs a username")
            if self.grantType == "CLIENT_CREDENTIALS" and self.username:
                raise ValueError("username: not used by the CLIENT_CREDENTIALS grant")
        return self


class EndpointSecurity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    production: EndpointSecuritySide | None = None
    sandbox: EndpointSecuritySide | None = None


def _box(request: Request) -> SecretBox:
    box: SecretBox | None = getattr(request.app.state, "endpoint_secrets", None)
    if box is None:
        settings: ServiceSettings = request.app.state.settings
        box = request.app.state.endpoint_secrets = SecretBox(settings.secret(), ENDPOINT_SECRETS)
    return box


# The box that seals endpoint secrets, one per app.
SecretsDep = Annotated[SecretBox, Depends(_box)]


def _sides(config: Any) -> dict[str, dict[str, Any]]:
    security = config.get("endpoint_security") if isinstance(config, dict) else None
    if not isinstance(security, dict):
        return {}
    return {s: security[s] for s in SIDES if isinstance(security.get(s), dict)}


def _refused(field: str, description: str) -> BadRequest:
    return BadRequest(
        f"{field}: {description}", errors=[ErrorListItem(code="400", message=field, description=description)]
    )


def _secrets_of(values: dict[str, Any]) -> tuple[str, ...]:
    """The secret fields the side's type uses."""
    kind = values.get("type")
    if kind in ("BASIC", "DIGEST"):
        return ("password",)
    if kind == "OAUTH":
        return ("clientSecret", "password") if values.get("grantType") == "PASSWORD" else ("clientSecret",)
    return ()


def seal(config: dict[str, Any] | None, stored: Any, box: SecretBox | None) -> dict[str, Any] | None:
    """``config`` (an ``endpointConfig`` as stored) with its secrets sealed: a new one sealed, the
    mask replaced by the stored one. ``box`` None: the caller's path takes no new secrets."""
    sides = _sides(config)
    if not sides or config is None:
        return config
    config = copy.deepcopy(config)
    before = _sides(stored)
    for side, values in _sides(config).items():
        old = before.get(side) or {}
        same_identity = all((values.get(k) or None) == (old.get(k) or None) for k in _IDENTITY)
        used = _secrets_of(values)
        for name in SECRET_FIELDS:
            field = f"{_FIELD}.{side}.{name}"
            value = values.get(name)
            if name not in used:
                if value:
                    raise _refused(field, f"not used by a {values.get('type')} endpoint")
                values.pop(name, None)
            elif value is None or value == MASK:
                kept = old.get(name)
                if is_sealed(kept):
                    if not same_identity:
                        raise _refused(field, "the credentials changed; send the secret again")
                    values[name] = kept
            elif box is None:
                raise _refused(field, "set endpoint secrets with PUT /apis/{apiId}")
            elif len(value) > MAX_SECRET:
                raise _refused(field, f"a secret holds at most {MAX_SECRET} characters")
            else:
                values[name] = box.seal(value)
        if values.get("enabled"):
            if values.get("type") == "OAUTH" and not values.get("clientSecret"):
                raise _refused(f"{_FIELD}.{side}.clientSecret", "OAUTH needs a clientSecret")
            if (
                values.get("grantType") == "PASSWORD"
                and values.get("type") == "OAUTH"
                and not values.get("password")
            ):
                raise _refused(f"{_FIELD}.{side}.password", "the PASSWORD grant needs a password")
    return config


def masked(config: Any) -> Any:
    """``config`` as shown to anyone: every secret replaced by the mask."""
    sides = _sides(config)
    if not sides:
        return config
    shown = copy.deepcopy(config)
    for side in _sides(shown).values():
        for name in SECRET_FIELDS:
            if side.get(name):
                side[name] = MASK
    return shown


def with_sealed(shown: dict[str, Any], stored: Any) -> dict[str, Any]:
    """A view of the API (``shown``) with the stored, sealed credentials put back: what a revision
    keeps, so that a deployment carries them to the gateway."""
    if not _sides(stored) or not isinstance(shown.get("endpointConfig"), dict):
        return shown
    config = dict(shown["endpointConfig"])
    config["endpoint_security"] = copy.deepcopy(stored["endpoint_security"])
    return {**shown, "endpointConfig": config}
