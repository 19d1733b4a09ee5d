"""Request-field types that keep bad input a 400: bounded integers and checked names.

An unbounded integer reaches SQLite (signed 64-bit), ``timedelta`` or a C ``int`` and fails
there as a 500; WSO2 declares these fields as Java ``int``, so they are bounded to its range.
A name is shown in portals, logs and other services' records: control characters, lone
surrogates (which cannot even be encoded as UTF-8) and code points Unicode has not assigned are
refused, as WSO2 refuses its special characters, rather than stored.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

INT32_MAX = 2**31 - 1

INT32_MIN = -(2**31)

# Any value of WSO2's ``int`` (a validity period where -1 means "never expires"...).
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
# A count or position, as WSO2's ``int`` offsets and periods.
NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]

# Unicode general categories a name may not hold: control, surrogate, unassigned (which
# includes the noncharacters such as U+FFFE).
_REFUSED = {"Cc": "a control character", "Cs": "a lone surrogate", "Cn": "an unassigned code point"}


def refuse_unusual_characters(value: str) -> str:
    """``value`` unchanged, or a ``ValueError`` naming the first character a name may not hold."""
    for char in value:
        kind = _REFUSED.get(unicodedata.category(char))
        if kind is not None:
            raise ValueError(f"must not contain {kind} (U+{ord(char):04X})")
    return value


# A name or other single-line label (application, API, policy...).
CheckedName = Annotated[str, AfterValidator(refuse_unusual_characters)]
