"""The values a sentence names, typed and normalised, with the words around each.

A mention is a quoted text, an email address, a date or date-time (ISO form, whatever form the
sentence used), a code (``INV-2026-0042``, ``KX-481-PL``, ``#2210``, ``3.2.1``), a number (``1,250.50``,
``five``), a capitalised name (``Maria Lopez``, ``SALES``) or the text after a colon. Each carries the
words just before and after it, which the planner compares with parameter names. No value keeps
the punctuation around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_SMALL_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {word: number for number, word in enumerate(_SMALL_NUMBERS.split(" "))}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_DATES = (
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b(?!T)"),
    re.compile(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b{_MONTH}\s+(?:the\s+)?{_DAY},?\s+{_YEAR}\b", re.I),
    re.compile(r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<year>\d{4})\b"),
)
_DATETIME = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|'([^']{2,})'(?!\w)")
_CODE = re.compile(
    r"(?<![\w@])#?(?:[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)+|[A-Z]+\d[A-Z0-9]*|\d+(?:\.\d+){2,}|#\d+)(?![\w@])"
)
_NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")
# A capitalised name, with a single letter closing it ("Hall B"), or a word in capitals ("SALES").
_NAME = re.compile(
    r"\b[A-Z][a-z]+(?:\s+(?:[A-Z][a-z]+|Le|La|de|van|von))*(?:\s+[A-Z]\b(?!\.))?\b|\b[A-Z]{2,}\b"
)
_WORD = re.compile(r"[A-Za-z]+")
_AFTER_COLON = re.compile(r":\s+([^:]+)$")


@dataclass(frozen=True)
class Mention:
    kind: str  # quoted, email, datetime, date, code, integer, decimal, name, text
    value: str | int | float
    start: int
    end: int
    before: tuple[str, ...] = field(default=())
    after: tuple[str, ...] = field(default=())

    @property
    def context(self) -> tuple[str, ...]:
        return (*self.before, *self.after)


def to_date(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    year = int(groups["year"])
    if "a" in groups and groups.get("a"):
        a, b = int(groups["a"]), int(groups["b"])
        month, day = (a, b) if b > 12 or a <= 12 else (b, a)
    else:
        raw_month = str(groups["month"]).lower().rstrip(".")
        month = int(raw_month) if raw_month.isdigit() else MONTHS[raw_month]
        day = int(groups["day"])
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def number(text: str) -> int | float | None:
    """``1,250.50`` -> 1250.5, ``12`` -> 12, ``five`` -> 5."""
    cleaned = text.replace(",", "")
    if cleaned.lower() in NUMBER_WORDS:
        return NUMBER_WORDS[cleaned.lower()]
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return int(value) if value.is_integer() and "." not in cleaned else value


def _words_around(text: str, start: int, end: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    before = [w.lower() for w in _WORD.findall(text[:start])][-3:]
    after = [w.lower() for w in _WORD.findall(text[end:])][:2]
    return tuple(before), tuple(after)


def mentions(text: str) -> list[Mention]:
    """Every value the text names, in the order it names them."""
    taken: list[tuple[int, int]] = []
    found: list[Mention] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def add(kind: str, value: str | int | float, start: int, end: int) -> None:
        taken.append((start, end))
        before, after = _words_around(text, start, end)
        found.append(Mention(kind, value, start, end, before, after))

    for match in _QUOTED.finditer(text):
        inner = next(g for g in match.groups() if g is not None)
        add("quoted", inner.strip(), match.start(), match.end())
    for match in _EMAIL.finditer(text):
        if free(match.start(), match.end()):
            add("email", match.group(0).rstrip("."), match.start(), match.end())
    for match in _DATETIME.finditer(text):
        if free(match.start(), match.end()):
            add("datetime", match.group(0), match.start(), match.end())
    for pattern in _DATES:
        for match in pattern.finditer(text):
            iso = to_date(match)
            if iso is not None and free(match.start(), match.end()):
                add("date", iso, match.start(), match.end())
    for match in _CODE.finditer(text):
        raw = match.group(0)
        if not free(match.start(), match.end()) or not any(c.isdigit() or c.isupper() for c in raw):
            continue
        if raw.startswith("#") and raw[1:].isdigit():
            add("integer", int(raw[1:]), match.start(), match.end())
        elif re.fullmatch(r"[A-Za-z]+(?:-[a-z]+)+", raw):
            continue  # a hyphenated word (check-up, time-off), not a code
        else:
            add("code", raw.lstrip("#"), match.start(), match.end())
    for match in _NUMBER.finditer(text):
        if free(match.start(), match.end()):
            amount = number(match.group(0))
            if amount is not None:
                kind = "integer" if isinstance(amount, int) else "decimal"
                add(kind, amount, match.start(), match.end())
    for match in re.finditer(r"\b[A-Za-z]+\b", text):
        if match.group(0).lower() in NUMBER_WORDS and free(match.start(), match.end()):
            if match.group(0).lower() == "one" and re.match(r"\s+of\b", text[match.end() :]):
                continue
            add("integer", NUMBER_WORDS[match.group(0).lower()], match.start(), match.end())
    for match in _NAME.finditer(text):
        start, name = match.start(), match.group(0)
        if start == 0 or re.search(r"[.!?:]\s*$", text[:start]):
            # A sentence's first word is capitalised whatever it is: the name starts after it.
            first, _, rest = name.partition(" ")
            if not rest:
                continue
            start, name = start + len(first) + 1, rest
        if free(start, match.end()):
            add("name", name, start, match.end())
    colon = _AFTER_COLON.search(text)
    if colon:
        # Free text after a colon (a comment, a message); the names inside it stay mentions too.
        before, after = _words_around(text, colon.start(1), colon.end(1))
        said = colon.group(1).strip(" .!?")
        found.append(Mention("text", said, colon.start(1), colon.end(1), before, after))
    found.sort(key=lambda m: m.start)
    return found
