"""What an event may not carry: secrets in free-form properties are masked before they are announced.

Events reach every consumer of a topic, inside and outside the platform (any Kafka client), so
their data follows the masking of the REST views: a secret's value is replaced by ``""``, the mask
the publisher's GET shows for endpoint credentials. Services that need a secret fetch it over an
internal endpoint or receive it sealed (``apim_common.sealed``), never in clear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = ""
_SECRET_NAME = re.compile(r"secret|password|passwd|credential|private_?key|api_?key", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """A property whose name says it holds a secret (client_secret, clientSecret, password...)."""
    return bool(_SECRET_NAME.search(name))


def masked(properties: Mapping[str, Any]) -> dict[str, Any]:
    """``properties`` with the value of every secret-named entry replaced by the mask, recursively."""
    return {
        name: MASK if is_secret_name(name) and value not in (None, "") else _masked_value(value)
        for name, value in properties.items()
    }


def _masked_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return masked(value)
    if isinstance(value, list):
        return [_masked_value(item) for item in value]
    return value
