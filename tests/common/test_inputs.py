"""Checked names and bounded integers refuse what would otherwise fail deeper as a 500."""

import re

import pytest
from pydantic import BaseModel, ValidationError

from apim_common.inputs import INT32_MAX, CheckedName, NonNegativeInt32


class Thing(BaseModel):
    name: CheckedName = "x"
    period: NonNegativeInt32 = 0


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a\x00b", "a control character (U+0000)"),
        ("tab\there", "a control character (U+0009)"),
        ("\ud800", "a lone surrogate (U+D800)"),
        ("x\U000e0080", "an unassigned code point (U+E0080)"),
        ("\ufffe", "an unassigned code point (U+FFFE)"),
    ],
)
def test_a_name_with_an_unusual_character_is_refused_naming_it(name: str, kind: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(f"must not contain {kind}")):
        Thing(name=name)


@pytest.mark.parametrize("name", ["Pizza Shack", "Café", "ピザ", "🍕 app", "نرگس\u200c"])
def test_a_name_in_any_script_with_emoji_and_joiners_is_accepted(name: str) -> None:
    assert Thing(name=name).name == name


def test_an_integer_beyond_wso2s_int_range_is_refused() -> None:
    assert Thing(period=INT32_MAX).period == INT32_MAX
    with pytest.raises(ValidationError):
        Thing(period=INT32_MAX + 1)
