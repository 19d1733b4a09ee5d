"""A WebSub API's ``websubSubscriptionConfiguration``: how its provider signs the events it posts
to the gateway's hub (``enable``, ``secret``, ``signingAlgorithm``, ``signatureHeader``).

The secret is kept as endpoint credentials are (docs/decisions/0013): sealed with APIM_SECRET_KEY
before it is stored, carried sealed in revisions to the gateway, which opens it to check each
event's signature, and shown as the empty string in every view; an update sending the empty
string back keeps the stored one.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from apim_common.errors import BadRequest, ErrorListItem
from apim_common.sealed import SecretBox, is_sealed

MASK = ""
MAX_SECRET = 1024
FIELD = "websubSubscriptionConfiguration"


class WebsubSubscriptionConfiguration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enable: bool = False
    secret: str | None = Field(default=None, max_length=4096)
    signingAlgorithm: Literal["SHA1", "SHA256", "SHA384", "SHA512"] = "SHA1"
    signatureHeader: str = Field(
        default="X-Hub-Signature", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$"
    )

    @field_validator("signingAlgorithm", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper().replace("-", "") if isinstance(value, str) else value


def _refused(field: str, description: str) -> BadRequest:
    return BadRequest(
        f"{field}: {description}",
        errors=[
            ErrorListItem(
                code="400",
                message="Invalid websubSubscriptionConfiguration",
                description=f"{field}: {description}",
            )
        ],
    )


def seal(config: dict[str, Any] | None, stored: Any, box: SecretBox | None) -> dict[str, Any] | None:
    """``config`` as stored: a new secret sealed, the mask replaced by the stored secret."""
    if config is None:
        return None
    config = dict(config)
    value = config.get("secret")
    kept = stored.get("secret") if isinstance(stored, dict) else None
    if value is None or value == MASK:
        if is_sealed(kept):
            config["secret"] = kept
        else:
            config.pop("secret", None)
    elif box is None:
        raise _refused(f"{FIELD}.secret", "set the secret with PUT /apis/{apiId}")
    elif len(value) > MAX_SECRET:
        raise _refused(f"{FIELD}.secret", f"a secret holds at most {MAX_SECRET} characters")
    else:
        config["secret"] = box.seal(value)
    if config.get("enable") and not config.get("secret"):
        raise _refused(f"{FIELD}.secret", "signing is enabled without a secret to check events with")
    return config


def masked(config: Any) -> Any:
    if isinstance(config, dict) and config.get("secret"):
        return {**config, "secret": MASK}
    return config


def with_sealed(shown: dict[str, Any], stored: Any) -> dict[str, Any]:
    """A view of the API with the stored, sealed secret put back, for a revision."""
    if not isinstance(stored, dict) or not is_sealed(stored.get("secret")):
        return shown
    config = dict(shown.get(FIELD) or {})
    config["secret"] = copy.copy(stored["secret"])
    return {**shown, FIELD: config}
