"""What a gateway tells the Admin API about a call to one of its bot traps, on
``Topic.BOT_DETECTION`` with the message id as the event's subject.

- ``bot-detection.recorded``: a request reached a path the gateway treats as a trap
  (``APIM_GATEWAY_BOT_TRAP_PATHS``); data is ``BotDetectionData``, WSO2's ``BotDetectionData``
  shape, which ``GET /api/am/admin/v4/bot-detection-data`` lists per tenant.

Credentials never travel: the gateway masks the value of every header that may carry one
(``secret_header``) and keeps at most ``MAX_BODY_BYTES`` of the body.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

RECORDED = "bot-detection.recorded"
# The most of a trapped request's body recorded, in bytes (decoded, at most as many characters).
MAX_BODY_BYTES = 4096
# The most of its header set recorded, in characters.
MAX_HEADER_SET = 16384
MASK = "********"
# Header names whose value is a credential, and fragments that mark one (a custom API-key
# header, a session cookie).
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "apikey", "internal-key"}
)
_SECRET_FRAGMENTS = ("auth", "token", "secret", "key", "password", "session", "cookie", "jwt")


def secret_header(name: str) -> bool:
    """Whether a header's value is masked before a trapped request is recorded (``name`` lower-case)."""
    return name in _SECRET_HEADERS or any(fragment in name for fragment in _SECRET_FRAGMENTS)


class BotDetectionData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Milliseconds since the epoch, as WSO2 records it.
    recordedTime: int = Field(ge=0)
    messageID: str = Field(min_length=1, max_length=64)
    apiMethod: str = Field(min_length=1, max_length=16)
    # ``[Name=value, ...]`` in the request's order, credentials masked.
    headerSet: str = Field(max_length=MAX_HEADER_SET)
    messageBody: str = Field(max_length=MAX_BODY_BYTES)
    clientIp: str = Field(max_length=64)
