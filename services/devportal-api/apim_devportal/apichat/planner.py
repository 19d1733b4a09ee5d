"""The offline planner: a scenario in plain words -> the calls that test it, one step at a time.

It splits the scenario into steps, maps each step to an operation by similarity (dense vectors
when the local model is there, shared words otherwise) plus the verb the step starts with,
extracts parameter values from the text, and reuses ids that earlier responses returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from apim_devportal.apichat.tools import Parameter, Tool
from apim_devportal.assistant.embedder import Embedder, Vector
from apim_devportal.catalog.search import tokenize

_SPLIT = re.compile(
    r"\s*(?:,?\s*\b(?:and then|then|after that|afterwards|finally|next)\b,?|;|\.\s+(?=[A-Z]))\s*", re.I
)
_VERBS: dict[str, tuple[str, ...]] = {
    "GET": (
        "get",
        "fetch",
        "find",
        "show",
        "list",
        "look",
        "retrieve",
        "read",
        "check",
        "view",
        "see",
        "search",
        "display",
        "what",
        "which",
        "return",
    ),
    "POST": (
        "create",
        "add",
        "place",
        "register",
        "new",
        "post",
        "submit",
        "make",
        "order",
        "book",
        "buy",
        "send",
        "sign",
    ),
    "PUT": ("update", "change", "modify", "rename", "edit", "set", "mark", "replace"),
    "DELETE": ("delete", "remove", "cancel", "drop", "erase"),
}
_HINT = {word: method for method, words in _VERBS.items() for word in words}
_CLAUSE_START = re.compile(r",\s+(?=(?:" + "|".join(sorted(_HINT)) + r")\b)", re.I)
_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a": 1,
    "an": 1,
}
_VALUE = r"['\"]?([\w.@+:-]+)['\"]?"
_NOT_VALUES = frozenset(
    {
        "with",
        "a",
        "an",
        "the",
        "named",
        "called",
        "and",
        "to",
        "is",
        "as",
        "by",
        "of",
        "for",
        "it",
        "its",
        "id",
        "that",
        "this",
    }
)
_REFERS_BACK = re.compile(r"\b(it|its|them|that|this|the (?:new|created|same)\b)", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")

# Weights of a step's match with an operation: similarity (scaled 0-1 across the API's operations),
# the verb it starts with, how many required inputs can be filled, and a reference back to the
# previous step's thing ("delete it").
VERB_WEIGHT = 0.5
FIT_WEIGHT = 0.3
REFERENCE_WEIGHT = 0.2


def split_steps(scenario: str) -> list[str]:
    parts = []
    for chunk in _SPLIT.split(scenario.strip()):
        parts.extend(_CLAUSE_START.split(chunk))
    return [p.strip(" .,") for p in parts if p and p.strip(" .,")]


def verb_hint(step: str) -> str | None:
    for word in re.findall(r"[a-z]+", step.lower()):
        if word in _HINT and word not in ("a", "an"):
            return _HINT[word]
    return None


def _words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[0-9]+|[A-Z]+(?![a-z])", name)]


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _NUMBERS.get(text.lower())


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer" and isinstance(value, str) and value.isdigit():
        return int(value)
    if kind == "boolean" and isinstance(value, str):
        return value.lower() in ("true", "yes")
    return value


def _enum(text: str, schema: dict[str, Any]) -> str | None:
    values = schema.get("enum") or (schema.get("items") or {}).get("enum") or []
    for value in values:
        if re.search(rf"\b{re.escape(str(value))}\b", text, re.I):
            return str(value)
    return None


def _explicit(text: str, name: str) -> str | None:
    """``petId 5``, ``petId=5``, ``username is jdoe``, ``password secret``."""
    spaced = r"\s*".join(re.escape(w) for w in _words(name)) or re.escape(name)
    for pattern in (
        rf"\b{re.escape(name)}\s*(?:=|:|is|of|to)?\s*{_VALUE}",
        rf"\b{spaced}\s*(?:=|:|is|of|to)?\s*{_VALUE}",
    ):
        for match in re.finditer(pattern, text, re.I):
            value = match.group(1)
            if value.lower() not in _NOT_VALUES:
                return value
    return None


def _entity_value(text: str, entity: str) -> str | None:
    """``pet 42``, ``order #15``, ``pet with id 123``, ``user alice``: the value named after a thing."""
    if not entity:
        return None
    pattern = rf"\b{re.escape(entity)}s?\s+(?:with\s+)?(?:id\s+|number\s+|no\.?\s+|#)?{_VALUE}"
    for match in re.finditer(pattern, text, re.I):
        value = match.group(1)
        if value.lower() not in _NOT_VALUES and (any(c.isdigit() for c in value) or entity == "user"):
            return value
    loose = re.search(rf"\b(?:with\s+)?id\s*(?:=|:|is|#)?\s*{_VALUE}", text, re.I)
    if loose and any(c.isdigit() for c in loose.group(1)):
        return loose.group(1)
    return None


@dataclass
class Memory:
    """What earlier steps returned or used: values by name, and the last thing worked on."""

    values: dict[str, Any] = field(default_factory=dict)
    entity: str = ""

    def remember(self, tool: Tool, inputs: dict[str, Any], body: Any) -> None:
        self.values.update(inputs.get("parameters") or {})
        if isinstance(inputs.get("requestBody"), dict):
            for key, value in inputs["requestBody"].items():
                if isinstance(value, str | int | float | bool):
                    self.values[key] = value
        if isinstance(body, list) and body and isinstance(body[0], dict):
            body = body[0]
        if isinstance(body, dict):
            for key, value in body.items():
                if isinstance(value, str | int | float | bool):
                    self.values[key] = value
            if "id" in body and tool.entity:
                self.values[f"{tool.entity}Id"] = body["id"]
        self.entity = tool.entity or self.entity


class Planner:
    """Maps steps to operations and fills their inputs; ``embedder`` None: shared words only."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder
        self._vectors: dict[str, Vector] = {}

    def _similarity(self, step: str, tools: list[Tool]) -> list[float]:
        terms = set(tokenize(step))
        lexical = [len(terms & tool.terms) / (len(terms) or 1) for tool in tools]
        if self.embedder is None:
            return _scale(lexical)
        missing = [t.text for t in tools if t.text not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.embedder.passages(missing), strict=True):
                self._vectors[text] = vector
        query = self.embedder.query(step)
        dense = [float(self._vectors[t.text] @ query) for t in tools]
        return [0.5 * a + 0.5 * b for a, b in zip(_scale(dense), _scale(lexical), strict=True)]

    def choose(self, step: str, tools: list[Tool], memory: Memory) -> Tool:
        similarity = self._similarity(step, tools)
        hint = verb_hint(step)
        refers_back = bool(_REFERS_BACK.search(step))
        best, best_score = tools[0], float("-inf")
        for tool, sim in zip(tools, similarity, strict=True):
            verb = (
                1.0
                if hint is not None and (tool.method == hint or {tool.method, hint} == {"PUT", "PATCH"})
                else 0.0
            )
            fit = self._fit(step, tool, memory)
            reference = 1.0 if refers_back and tool.entity and tool.entity == memory.entity else 0.0
            score = sim + VERB_WEIGHT * verb + FIT_WEIGHT * fit + REFERENCE_WEIGHT * reference
            if score > best_score:
                best, best_score = tool, score
        return best

    def _fit(self, step: str, tool: Tool, memory: Memory) -> float:
        """+ for each required input the step or memory fills, - for a required path value missing."""
        required = [p for p in tool.parameters if p.required and p.location != "header"]
        enums = [p.name for p in tool.parameters if _enum(step, p.schema)]
        enums += [
            name for name, schema in (tool.body or {}).items() if schema.get("enum") and _enum(step, schema)
        ]
        if not required:
            return 0.5 * len(enums)
        filled = sum(self._value(step, tool, p, memory) is not None for p in required)
        return filled / len(required) - (1.0 if filled < len(required) else 0.0) + 0.5 * len(enums)

    def _value(self, step: str, tool: Tool, parameter: Parameter, memory: Memory) -> Any:
        found = _enum(step, parameter.schema) or _explicit(step, parameter.name)
        if found is None and (parameter.location == "path" or parameter.name.lower() == "username"):
            named = parameter.name.lower()
            entity = tool.entity if named.endswith("id") or named in ("username", "name") else ""
            if named == "username":
                entity = "user"
            found = _entity_value(step, entity)
            if found is None and named in {k.lower() for k in memory.values}:
                found = next(v for k, v in memory.values.items() if k.lower() == named)
        return found

    def inputs(self, step: str, tool: Tool, memory: Memory) -> dict[str, Any]:
        """The call's inputs: path and query values in ``parameters`` (as WSO2), and the body."""
        parameters: dict[str, Any] = {}
        query: dict[str, Any] = {}
        headers: dict[str, Any] = {}
        for parameter in tool.parameters:
            value = self._value(step, tool, parameter, memory)
            if value is None:
                continue
            value = _coerce(value, parameter.schema)
            if parameter.location == "header":
                headers[parameter.name] = value
                continue
            parameters[parameter.name] = value
            if parameter.location == "query":
                query[parameter.name] = value
        found: dict[str, Any] = {"parameters": parameters, "queryParameters": query, "headers": headers}
        if tool.body is not None:
            found["requestBody"] = self._body(step, tool, memory, parameters)
        path = tool.path
        for name, value in parameters.items():
            path = path.replace("{" + name + "}", str(value))
        if query:
            path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        found["requestPath"] = path
        return found

    def _body(self, step: str, tool: Tool, memory: Memory, used: dict[str, Any]) -> dict[str, Any]:
        assert tool.body is not None
        body: dict[str, Any] = {}
        taken = {str(v) for v in used.values()}
        for name, schema in tool.body.items():
            value: Any = _enum(step, schema) if schema.get("enum") else None
            lowered = name.lower()
            if value is None:
                value = _explicit(step, name) if lowered not in ("id", "name") else None
            if value is None and lowered == "name":
                match = re.search(rf"\b(?:named|called|name(?:\s+is)?)\s+{_VALUE}", step, re.I)
                value = match.group(1) if match else None
            if value is None and lowered == "email":
                email = _EMAIL.search(step)
                value = email.group(0) if email else None
            if value is None and lowered.endswith("name") and lowered != "username":
                match = re.search(r"\bfor\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)", step)
                value = match.group(1) if match else None
            if value is None and lowered == "id":
                value = _entity_value(step, tool.entity) or memory.values.get(f"{tool.entity}Id")
            if value is None and lowered.endswith("id") and lowered != "id":
                value = _entity_value(step, lowered[:-2]) or memory.values.get(name)
            if (
                value is None
                and schema.get("type") == "integer"
                and lowered in ("quantity", "count", "amount")
            ):
                for word in re.findall(
                    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b", step, re.I
                ):
                    if word not in taken:
                        value = _number(word)
                        break
            if value is not None:
                value = _coerce(value, schema)
                if schema.get("type") == "integer" and isinstance(value, str):
                    value = _number(value) if _number(value) is not None else value
                body[name] = value
                taken.add(str(value))
        return body


def _scale(values: list[float]) -> list[float]:
    if not values:
        return []
    low, high = min(values), max(values)
    if high - low <= 1e-9:
        return [0.0 for _ in values]
    return [(v - low) / (high - low) for v in values]
