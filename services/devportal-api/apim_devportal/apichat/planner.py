"""The offline planner: a scenario in plain words -> the calls that test it, one step at a time.

It splits the scenario into steps at "then", "after that" and sentence ends. Each step goes to the
operation whose meaning is nearest: the local embedding model compares the step with each
operation's summary and description (embedded once per definition and cached), and with short
prototypes of what asking to read, create, change or delete sounds like, so "it is no longer
needed" weighs as a delete without any verb list. Values come from what the step names (dates
normalised to ISO, numbers, codes, quoted texts, names, see :mod:`mentions`), each given to the
chosen operation's path, query or body field whose name, description or place in the path is
nearest to the words around it; a step that names no id reuses the one an earlier step used or
got back. Without the model, shared words stand in for the similarity.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np

from apim_devportal.apichat.mentions import Mention, mentions
from apim_devportal.apichat.tools import Field, Tool, stem, words
from apim_devportal.assistant.embedder import Embedder, Vector
from apim_devportal.catalog.search import tokenize

_SPLIT = re.compile(
    r"\s*(?:,?\s*\b(?:and then|then|after that|afterwards|and finally|finally)\b,?"
    r"|;|[.!]\s+(?=[A-Z][a-z])|(?<=\?)\s+(?=[A-Z][a-z]))\s*",
    re.I,
)
_REFERS_BACK = re.compile(r"\b(it|its|them|their|him|her|that|this|the (?:new|created|same)\b)", re.I)

# What asking for each kind of operation sounds like. Compared by meaning with the step, so a
# paraphrase lands near its kind without being listed here.
INTENTS: dict[str, tuple[str, ...]] = {
    "read": (
        "show me record 42",
        "open item 17 and check it",
        "look up the record",
        "tell me about this item",
        "get the details of item 5",
        "list all of them",
        "find the ones that match",
        "how many are there and which ones",
        "what happened during that period",
        "display it",
        "let me see it",
        "pull up that one",
        "give me the list",
        "show me every one that is still open",
        "which ones does she have right now",
    ),
    "create": (
        "create a new one",
        "add a new record",
        "register a new item",
        "book or schedule something new",
        "place an order",
        "submit a new request",
        "send or record something for item 12",
    ),
    "change": (
        "change its details",
        "update the record with a new value",
        "set it to a new state",
        "item 9 is now done",
        "assign it to somebody else",
        "move it to another date",
        "raise its limit",
        "mark it as complete",
        "it has been dealt with",
        "pass it on to a colleague",
        "begin work on it",
        "its value is now different",
        "approve the request, or turn it down",
        "bump it up a level",
    ),
    "delete": (
        "delete it",
        "remove record 31 for good",
        "cancel it",
        "item 8 is no longer needed",
        "get rid of it, throw it away",
        "it was a mistake, call it off",
        "we will not need it any more",
        "she is no longer with us, she has left",
    ),
}
KIND = {
    "GET": "read",
    "HEAD": "read",
    "POST": "create",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}

# Weights of a step's match with an operation, chosen on the tuned part of the evaluation.
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.25
INTENT_WEIGHT = 0.4
FIT_WEIGHT = 0.8
PLACED_WEIGHT = 0.6
UNPLACED_WEIGHT = 0.5
# A required body field the step leaves empty, against a path value missing (1).
REQUIRED_WEIGHT = 0.5
ENUM_MARGIN = 0.02
# An enum value said in other words: nearer to the step than the values are on average by
# ENUM_GAP; it weighs ENUM_EVIDENCE where a value named in so many words weighs 1.
ENUM_GAP = 0.03
ENUM_EVIDENCE = 0.5
INTENT_SHARPNESS = 40.0
# A question asks to be told something: whatever its verb, it reads.
QUESTION_WEIGHT = 1.0
DELETE_CAUTION = 0.5
# A step that refers back ("delete it") is about the thing the previous step worked on.
REFERENCE_WEIGHT = 0.5
# A step that names a thing by its id ("invoice INV-2026-0042") is about that thing: an operation
# that does not take its id loses THING_WEIGHT, and a read of something under it (its payments)
# loses UNDER_WEIGHT unless the step names what is under it or states one of its fields.
THING_WEIGHT = 1.0
# A create or change that the step gives nothing to write, when the step does not sound like one.
EMPTY_WRITE_WEIGHT = 0.5
UNDER_WEIGHT = 0.35
# The affinity of a value whose neighbouring word names the field (``invoice INV-2026-0042``).
ANCHORED = 2.0
_CODE_EXAMPLE = r"([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)"
_EXAMPLE = re.compile(
    rf"(?:such as|e\.g\.|for example|like)\s+{_CODE_EXAMPLE}(?:(?:,|\s+or)\s+{_CODE_EXAMPLE})?"
)
CACHE_SIZE = 4096
# What a field holding a person sounds like, against one holding a thing (compared by meaning).
PERSON = ("a person's username", "the person it is assigned to", "who did it")
NOT_PERSON = ("a thing's name, title or text", "a place", "a code or a category")
PERSON_MARGIN = 0.02
# What a number no word explains sounds like; a field must be nearer than this to take it.
PLAIN_NUMBER = ("a number", "an amount", "a value")
MEANT_MARGIN = 0.03


# Words that join values into a range or a list ("between 3 and 5", "from May until June").
_CONNECTORS = frozenset(tokenize("between from to until till through since and or also"))


def split_steps(scenario: str) -> list[str]:
    """The scenario's steps; a part that states only values ("From 2026-02-01 to 2026-02-28")
    completes the step before it rather than asking for a call of its own."""
    steps: list[str] = []
    for part in (p.strip(" .,") for p in _SPLIT.split(scenario.strip()) if p and p.strip(" .,")):
        if steps and not set(tokenize(_without_values(part))) - _CONNECTORS:
            steps[-1] = f"{steps[-1]} {part}"
        else:
            steps.append(part)
    return steps


class Assignment(NamedTuple):
    """The values a step gives an operation's fields, how much its own words support them, and
    which fields its words stated (not remembered from earlier steps, nor guessed by meaning)."""

    values: dict[str, Any]
    evidence: float
    stated: frozenset[str]


@dataclass
class Memory:
    """What earlier steps used or got back: values by lower-cased name, and the last thing worked on."""

    values: dict[str, Any] = field(default_factory=dict)
    entity: str = ""
    last_body: Any = None

    def remember(self, tool: Tool, inputs: dict[str, Any], body: Any) -> None:
        self.last_body = body
        for key, value in (inputs.get("parameters") or {}).items():
            self.values[key.lower()] = value
        if isinstance(inputs.get("requestBody"), dict):
            for key, value in inputs["requestBody"].items():
                if isinstance(value, str | int | float | bool):
                    self.values[key.lower()] = value
        if isinstance(body, list) and body and isinstance(body[0], dict):
            body = body[0]
        if isinstance(body, dict):
            for key, value in body.items():
                if isinstance(value, str | int | float | bool):
                    self.values[key.lower()] = value
            if "id" in body and tool.entity:
                self.values[f"{tool.entity}id"] = body["id"]
                self.values["id"] = body["id"]
        self.entity = tool.entity or self.entity


class Planner:
    """Maps steps to operations and fills their inputs; ``embedder`` None: shared words only."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder
        self._passages: OrderedDict[str, Vector] = OrderedDict()
        self._queries: OrderedDict[str, Vector] = OrderedDict()
        self._intents: dict[str, Vector] | None = None
        self._people: tuple[Vector, Vector] | None = None
        self._plain: Vector | None = None

    # Embeddings, cached: an operation's text is embedded once per definition.

    def _passage_vectors(self, texts: list[str]) -> Vector:
        assert self.embedder is not None
        missing = list(dict.fromkeys(t for t in texts if t not in self._passages))
        if missing:
            for text, vector in zip(missing, self.embedder.passages(missing), strict=True):
                self._passages[text] = vector
        for text in texts:
            self._passages.move_to_end(text)
        while len(self._passages) > CACHE_SIZE:
            self._passages.popitem(last=False)
        return np.stack([self._passages[t] for t in texts])

    def _query(self, text: str) -> Vector:
        assert self.embedder is not None
        if text not in self._queries:
            self._queries[text] = self.embedder.query(text)
            while len(self._queries) > CACHE_SIZE:
                self._queries.popitem(last=False)
        return self._queries[text]

    def intent(self, step: str) -> dict[str, float]:
        """How much the step sounds like a read, a create, a change or a delete (sums to 1)."""
        if self.embedder is None:
            return {kind: 0.25 for kind in INTENTS}
        if self._intents is None:
            self._intents = {kind: self._passage_vectors(list(p)) for kind, p in INTENTS.items()}
        # The values a step names say nothing of what to do with them: they are left out.
        query = self._query(_without_values(step))
        best = {kind: _top_mean(vectors @ query) for kind, vectors in self._intents.items()}
        top = max(best.values())
        exp = {kind: float(np.exp(INTENT_SHARPNESS * (score - top))) for kind, score in best.items()}
        total = sum(exp.values())
        return {kind: value / total for kind, value in exp.items()}

    def _similarity(self, step: str, tools: list[Tool]) -> list[float]:
        terms = set(tokenize(step))
        lexical = [len(terms & tool.terms) / (len(terms) or 1) for tool in tools]
        if self.embedder is None:
            return _scale(lexical)
        passages = self._passage_vectors([_document(t) for t in tools])
        dense = [float(v) for v in passages @ self._query(_without_values(step))]
        return [
            DENSE_WEIGHT * a + LEXICAL_WEIGHT * b for a, b in zip(_scale(dense), _scale(lexical), strict=True)
        ]

    def choose(self, step: str, tools: list[Tool], memory: Memory) -> Tool:
        similarity = self._similarity(step, tools)
        intent = self.intent(step)
        question = bool(re.search(r"\?(?:[\s,]|$)", step))
        found = mentions(step)
        named = _things_named(step, found, tools)
        people = {hit[1] for t in tools if (hit := self._username(step, t, found, {})) is not None}
        best, best_score = tools[0], float("-inf")
        for tool, sim in zip(tools, similarity, strict=True):
            kind = KIND.get(tool.method, "read")
            score = sim + INTENT_WEIGHT * intent[kind]
            if question and kind != "read":
                score -= QUESTION_WEIGHT
            if kind == "delete" and intent["delete"] < max(intent.values()):
                # Deleting is the one step that cannot be undone: only when it sounds like one.
                score -= DELETE_CAUTION
            score += FIT_WEIGHT * self._fit(step, tool, memory, found)
            score -= self._about(step, tool, memory, found, named)
            if people and not people & set(map(str, self.assign(step, tool, memory, found).values.values())):
                # A username the step gives is a value: an operation that cannot take it loses.
                score -= FIT_WEIGHT * UNPLACED_WEIGHT
            if _headed_by_id(step, found) and not any(f.location == "path" for f in tool.fields):
                score -= THING_WEIGHT
            if intent[kind] < max(intent.values()):
                score -= self._nothing_to_write(step, tool, memory, found, named)
            if score > best_score:
                best, best_score = tool, score
        return best

    def _fit(self, step: str, tool: Tool, memory: Memory, found: list[Mention]) -> float:
        """How much of what the step names the operation can take, less its path values and
        required body fields missing."""
        path = [f for f in tool.fields if f.location == "path"]
        values, evidence, _ = self.assign(step, tool, memory, found)
        required = [f for f in tool.fields if f.location == "body" and f.required]
        missing = sum(f.name not in values for f in path) + REQUIRED_WEIGHT * sum(
            f.name not in values for f in required
        )
        unplaced = sum(_id_like(m) for m in found) - sum(
            _id_like(m) for m in found if any(values.get(f.name) == _typed(m.value, f) for f in tool.fields)
        )
        refers = _REFERS_BACK.search(step) or (
            memory.entity and re.search(rf"\bthe {re.escape(memory.entity)}\b", step, re.I)
        )
        # Referring back is to one thing: an operation on it (its id in the path), not on a list.
        thing = _acted_on(tool) if _action_named(step, tool) else tool.entity
        back = REFERENCE_WEIGHT if refers and thing == memory.entity and path else 0.0
        return evidence * PLACED_WEIGHT - missing - UNPLACED_WEIGHT * unplaced + back

    def _about(self, step: str, tool: Tool, memory: Memory, found: list[Mention], named: set[str]) -> float:
        """What the operation loses for not being about the thing the step names by its id."""
        if not named:
            return 0.0
        if not any(f.terms & named for f in tool.fields):
            return THING_WEIGHT
        own = [f for f in tool.fields if f.location == "path" and stem(f.anchor) in named]
        if not own or KIND.get(tool.method) != "read":
            return 0.0
        segments = tool.path.split("/")
        under = segments[segments.index("{" + own[-1].name + "}") + 1 :]
        under_words = {stem(w) for s in under if not s.startswith("{") for w in words(s)}
        if not under_words or under_words & set(tokenize(step)):
            return 0.0
        stated = self.assign(step, tool, memory, found).stated
        if any(f.location != "path" and f.name in stated for f in tool.fields):
            return 0.0
        return UNDER_WEIGHT

    def _nothing_to_write(
        self, step: str, tool: Tool, memory: Memory, found: list[Mention], named: set[str]
    ) -> float:
        """What a create or change loses when the step states none of its body's fields (beyond
        the id of the thing it names) and does not sound like one: "show bin 12" writes nothing."""
        if not tool.body or KIND.get(tool.method) not in ("create", "change") or _action_named(step, tool):
            return 0.0
        stated = self.assign(step, tool, memory, found).stated
        body = [f for f in tool.fields if f.location != "path" and not (named and f.terms & named)]
        return 0.0 if any(f.name in stated for f in body) else EMPTY_WRITE_WEIGHT

    # Values

    def assign(self, step: str, tool: Tool, memory: Memory, found: list[Mention] | None = None) -> Assignment:
        """The value of each field the step fills (typed as its schema says), how many of them the
        step's own words gave (a mention placed, an enum value named), and which."""
        found = mentions(step) if found is None else found
        fields = tool.fields
        # A field's own name said in capitals ("the book with ISBN 978...") names it; it is no value.
        own_names = {f.name.lower() for f in fields}
        found = [m for m in found if not (m.kind == "name" and str(m.value).lower() in own_names)]
        values: dict[str, Any] = {}
        stated: set[str] = set()
        evidence = 0.0
        used: set[int] = set()
        refers_back = bool(_REFERS_BACK.search(step))
        for f in fields:
            # A value the step names after the field's own name ("username jdoe", "quantity 2",
            # "named Rex") or after the thing a path parameter identifies ("user bob").
            named = _explicit(step, f, tool)
            if isinstance(named, str):
                # A value that starts a capitalised name or a quoted text is the whole of it
                # ("title is Team Lead", 'reference "April rent"').
                named = next(
                    (
                        m.value
                        for m in found
                        if m.kind in ("name", "quoted") and str(m.value).startswith(named + " ")
                    ),
                    named,
                )
            if named is not None:
                values[f.name] = _typed(named, f)
                stated.add(f.name)
                evidence += 1.5
                used.update(i for i, m in enumerate(found) if str(m.value) == str(named))
        pairs: list[tuple[float, int, int]] = []
        for fi, f in enumerate(fields):
            for mi, m in enumerate(found):
                score = _affinity(f, m)
                if score is not None:
                    pairs.append((score, fi, mi))
        pairs.sort(key=lambda p: (-p[0], p[2]))
        for score, fi, mi in pairs:
            f = fields[fi]
            if f.name in values or mi in used:
                continue
            if f.location == "path" and refers_back and f.name.lower() in memory.values:
                continue
            if score < _threshold(f):
                continue
            values[f.name] = _typed(found[mi].value, f)
            stated.add(f.name)
            used.add(mi)
            evidence += 1.0 + (0.5 if score >= ANCHORED else 0.0)
            stated |= _split_name(found[mi], f, fields, values)
        # A number the words before it name by another word than its field's ("the odometer reads
        # 120500" for ``mileage``) goes to the field nearest to those words in meaning.
        for mi, m in enumerate(found):
            if mi in used or m.kind not in ("integer", "decimal"):
                continue
            near = self._field_meant(m, [f for f in fields if f.name not in values and f.location != "path"])
            if near is not None:
                values[near.name] = _typed(m.value, near)
                stated.add(near.name)
                used.add(mi)
                evidence += 1.0
        # What is left goes, in the order the step names it, to the fields the body requires (or
        # to the one plain field a query has) that can hold it.
        for mi, m in enumerate(found):
            if mi in used:
                continue
            for f in _open_fields(fields, values):
                if _compatible(f, m) and not (f.location == "path" and not _id_like(m)):
                    values[f.name] = _typed(m.value, f)
                    stated.add(f.name)
                    stated |= _split_name(m, f, fields, values)
                    used.add(mi)
                    evidence += 1.0
                    break
        # A capitalised name no word placed goes to the query's plain field nearest to it in
        # meaning ("something Thai" for ``cuisine`` rather than ``q``); with none left, it or a
        # quoted text goes to the body's free text field nearest to it and the words before it
        # ("by Frank Herbert" for ``author``).
        for mi, m in enumerate(found):
            if mi in used or m.kind not in ("name", "quoted"):
                continue
            near = (
                self._nearest_field(str(m.value), _plain_query(fields, values)) if m.kind == "name" else None
            )
            if near is None:
                context = " ".join((*m.before[-2:], str(m.value)))
                near = self._nearest_field(context, _free_body(fields, values))
            if near is not None:
                values[near.name] = _typed(m.value, near)
                stated.add(near.name)
                used.add(mi)
                evidence += 1.0
        # What something is "as" ("hired Maria Lopez as a backend engineer") is a value of the body's
        # free text field nearest to it in meaning (``jobTitle``).
        for role in _AS_ROLE.finditer(step):
            near = self._nearest_field(role.group(1), _free_body(fields, values))
            if near is not None:
                values[near.name] = role.group(1)
                stated.add(near.name)
                evidence += 1.0
        # A lower-case word the API never uses, after a word naming a field ("agent mkowalski"
        # for an assignee described as the agent's username), is that field's value.
        for before, unknown in _unknown_words(step, tool, found):
            for f in fields:
                if f.name in values or f.kind != "string" or f.enum or f.format or f.location == "path":
                    continue
                if stem(before) in f.terms:
                    values[f.name] = unknown
                    stated.add(f.name)
                    evidence += 1.0
                    break
        # A word the API never uses, named as what to look for, is a search word.
        word = _search_word(step, tool, found) if tool.method == "GET" else None
        plain = _plain_query(fields, values)
        conventional = [f for f in plain if f.name.lower() in _SEARCH_NAMES]
        near = (
            (conventional[0] if conventional else self._nearest_field("words to search for", plain))
            if word
            else None
        )
        if word and near is not None:
            values[near.name] = word
            stated.add(near.name)
            evidence += 1.0
        # A word no dictionary of the API's has, where nothing names its field, is a username when
        # the operation has one field for a person ("hand MOB-77 over to priya" for ``assignee``).
        username = self._username(step, tool, found, values)
        if username is not None:
            values[username[0].name] = username[1]
            stated.add(username[0].name)
            evidence += 1.0
        for f in fields:
            if f.name in values:
                continue
            if f.enum:
                named = _enum_named(step, f)
                choice, how = (named, "named") if named is not None else self._enum(step, f)
                if choice is not None:
                    values[f.name] = choice
                    if how:
                        stated.add(f.name)
                    evidence += {"named": 1.0, "said": ENUM_EVIDENCE}.get(how, 0.0)
                    continue
            if f.kind == "boolean":
                flag = self._boolean(step, f)
                if flag is not None:
                    values[f.name] = flag
                    stated.add(f.name)
                    continue
            if f.location == "path" or (f.location == "body" and _is_reference(f)):
                remembered = _recall(f, memory)
                if remembered is not None:
                    values[f.name] = _typed(remembered, f)
        return Assignment(values, evidence, frozenset(stated))

    def _nearest_field(self, value: str, fields: list[Field]) -> Field | None:
        """The field whose name and description are nearest in meaning to the value."""
        if self.embedder is None or not fields:
            return None
        texts = [" ".join((*words(f.name), f.description)).strip() for f in fields]
        scores = self._passage_vectors(texts) @ self._query(value)
        return fields[int(np.argmax(scores))]

    def _field_meant(self, m: Mention, fields: list[Field]) -> Field | None:
        """The number field the words around the number mean, when clearly nearer to them in
        meaning than a plain number is and than any other field."""
        fields = [f for f in fields if f.kind in ("integer", "number") and not f.enum and _compatible(f, m)]
        context = [w for w in (*m.before, *m.after[:1]) if tokenize(w) and w not in _FUNCTION]
        if self.embedder is None or not fields or not context:
            return None
        query = self._query(" ".join(context))
        if self._plain is None:
            self._plain = self._passage_vectors(list(PLAIN_NUMBER))
        scores = self._passage_vectors([" ".join(words(f.name)) for f in fields]) @ query
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        if best - float((self._plain @ query).max()) < MEANT_MARGIN:
            return None
        if len(fields) > 1 and best - float(scores[order[1]]) < MEANT_MARGIN:
            return None
        return fields[int(order[0])]

    def _username(
        self, step: str, tool: Tool, found: list[Mention], values: dict[str, Any]
    ) -> tuple[Field, str] | None:
        """The operation's field for a person and the step's word that may be a username."""
        person = self._person_field(tool.fields, values)
        if person is None:
            return None
        # A word right before a value names that value's thing ("case 48213"), not a person.
        naming = {m.before[-1] for m in found if m.before}
        for before, unknown in _unknown_words(step, tool, found):
            if _name_like(before, unknown, tool.fields) and unknown not in {*values.values(), *naming}:
                return person, unknown
        return None

    def _person_field(self, fields: list[Field], values: dict[str, Any]) -> Field | None:
        """The operation's one free string field (still empty) that holds a person, judged by
        meaning: its name and description nearer to a person's username than to a thing's text."""
        if self.embedder is None:
            return None
        if self._people is None:
            self._people = (self._passage_vectors(list(PERSON)), self._passage_vectors(list(NOT_PERSON)))
        people, things = self._people
        found = []
        for f in fields:
            if f.kind != "string" or f.enum or f.format or f.location == "path" or f.name in values:
                continue
            query = self._query(" ".join((*words(f.name), f.description)).strip())
            if float((people @ query).max() - (things @ query).max()) > PERSON_MARGIN:
                found.append(f)
        return found[0] if len(found) == 1 else None

    def _enum(self, step: str, f: Field) -> tuple[Any, str]:
        """The enum value nearest in meaning to the step, and how the step gives it: "said" in other
        words when nearer to the step than the values are on average by ENUM_GAP ("start working
        on it" for ``in_progress``); else, when the field needs a value (required, or a body's),
        "clear" when nearer than the others by ENUM_MARGIN, "" when only the nearest."""
        if self.embedder is None or len(f.enum) < 2:
            return None, ""
        options = [" ".join(words(str(v))) for v in f.enum]
        vectors = self._passage_vectors(options)
        scores = vectors @ self._query(_without_values(step))
        order = np.argsort(-scores)
        best = f.enum[int(order[0])]
        if float(scores[order[0]] - scores.mean()) >= ENUM_GAP:
            return best, "said"
        if not (f.required or f.location == "body"):
            return None, ""
        clear = float(scores[order[0]] - scores[order[1]]) > ENUM_MARGIN
        if f.required or clear:
            return best, "clear" if clear else ""
        return None, ""

    def _boolean(self, step: str, f: Field) -> bool | None:
        if _opposite_named(step, f):
            return False
        terms = set(tokenize(step))
        if f.terms & terms:
            return not bool(re.search(r"\b(not|no|off|un\w+)\b", step, re.I))
        return None

    def inputs(self, step: str, tool: Tool, memory: Memory) -> dict[str, Any]:
        """The call's inputs: path and query values in ``parameters`` (as WSO2), and the body."""
        values = self.assign(step, tool, memory).values
        parameters: dict[str, Any] = {}
        query: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for f in tool.fields:
            if f.name not in values:
                continue
            if f.location == "body":
                body[f.name] = values[f.name]
            else:
                parameters[f.name] = values[f.name]
                if f.location == "query":
                    query[f.name] = values[f.name]
        found: dict[str, Any] = {"parameters": parameters, "queryParameters": query, "headers": {}}
        if tool.body is not None:
            found["requestBody"] = body
        found["requestPath"] = request_path(tool, parameters, query)
        return found


def request_path(tool: Tool, parameters: dict[str, Any], query: dict[str, Any]) -> str:
    """The path with its values filled in, each encoded so it stays one segment."""
    path = tool.path
    for name, value in parameters.items():
        path = path.replace("{" + name + "}", _segment(value))
    if query:
        path += "?" + "&".join(f"{_segment(k)}={_segment(v)}" for k, v in query.items())
    return path


def _segment(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"[^A-Za-z0-9._~-]", lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), text)


def _document(tool: Tool) -> str:
    return f"{tool.description}. {tool.details}" if tool.details else tool.description


_VALUE = r"['\"]?([\w@+-]+(?:[.:][\w@+-]+)*)['\"]?"
_NOT_VALUES = frozenset(
    ("with", "a", "an", "the", "named", "called", "and", "to", "is", "as", "by", "of", "for", "it")
) | frozenset(("its", "id", "that", "this", "be", "in", "on", "at", "from"))


def _explicit(step: str, f: Field, tool: Tool) -> Any:
    spaced = r"\s*".join(re.escape(w) for w in words(f.name)) or re.escape(f.name)
    # The field's name stands alone: ``sku`` is not read inside the code ``SKU-LAMP-02``, which is
    # a value of that field whole, its prefix and separator kept.
    patterns = [
        (rf"(?<![\w-]){spaced}(?![\w-])\s*(?:=|:|is|of|to|as)?\s*{_VALUE}", False),
        (rf"(?<![\w-])({spaced}[-_][A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*)(?![\w-])", False),
    ]
    # A word made from the field's name stands for it too: "assigned to ana" for ``assignee``.
    roots = [w[:6] for w in words(f.name) if len(w) >= 6]
    for root in roots:
        patterns.append((rf"\b{re.escape(root)}\w*\s+(?:to|by|for|as|with)\s+{_VALUE}", False))
    lowered = f.name.lower()
    if lowered in ("name", "title"):
        patterns.append((rf"\b(?:named|called|titled)\s+{_VALUE}", False))
    thing = f.anchor.rstrip("s") if f.location == "path" else tool.entity if lowered == "id" else ""
    if lowered == "username" and not thing:
        thing = "user"
    if thing:
        value = rf"\b{re.escape(thing)}s?\s+(?:with\s+)?(?:id\s+|number\s+|no\.?\s+|#)?{_VALUE}"
        patterns.append((value, "name" not in lowered))
    for pattern, needs_digit in patterns:
        for match in re.finditer(pattern, step, re.I):
            if match.start() == 0 and needs_digit:
                continue  # the first word is the verb ("Order 2 pizzas"), not the thing's name
            value = match.group(1)
            if re.fullmatch(r"[A-Za-z]+(?:-[a-z]+)+", value):
                continue  # a hyphenated word (check-up), not a code
            if value.lower() in _NOT_VALUES | _FUNCTION:
                continue
            if needs_digit and not any(c.isdigit() for c in value):
                continue
            typed = value if f.kind == "string" else number_or_none(value)
            if typed is None or (f.enum and typed not in f.enum) or f.format:
                continue
            return typed
    return None


def number_or_none(text: str) -> int | float | None:
    try:
        found = float(text)
    except ValueError:
        return None
    return int(found) if found.is_integer() and "." not in text else found


def _without_values(step: str) -> str:
    text = step
    for m in sorted(mentions(step), key=lambda m: -m.start):
        if m.kind != "text":
            text = text[: m.start] + "it" + text[m.end :]
    return text


def _things_named(step: str, found: list[Mention], tools: list[Tool]) -> set[str]:
    """The things the step names by their id: the word just before an id is what a path segment
    before a path parameter names (``invoice INV-2026-0042`` for ``/invoices/{invoiceNumber}``)."""
    anchors = {stem(f.anchor) for t in tools for f in t.fields if f.location == "path" and f.anchor}
    named = set()
    for m in found:
        before = re.search(r"([A-Za-z]+)\s+(?:#|no\.?\s*|number\s+|id\s+)?$", step[: m.start])
        if _id_like(m) and before and stem(before.group(1)) in anchors:
            named.add(stem(before.group(1)))
    return named


def _action_named(step: str, tool: Tool) -> bool:
    """The step's verb is the operation's action: a fixed word after a path value that ends a
    write's path (``POST /invoices/{n}/send`` for "send it to the customer")."""
    segments = tool.path.rstrip("/").split("/")
    if KIND.get(tool.method) not in ("create", "change") or len(segments) < 3:
        return False
    last, before = segments[-1], segments[-2]
    if last.startswith("{") or not before.startswith("{"):
        return False
    verb = re.match(r"\s*([A-Za-z]+)", step)
    return verb is not None and stem(verb.group(1)) in {stem(w) for w in words(last)}


def _acted_on(tool: Tool) -> str:
    """The thing an action works on: the path's fixed word before the action's path value."""
    fixed = [s for s in tool.path.split("/")[:-1] if s and not s.startswith("{")]
    word = fixed[-1].lower() if fixed else ""
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _headed_by_id(step: str, found: list[Mention]) -> bool:
    """The step is a thing's id and a statement about it ("Truck QR-550-ST: the odometer now
    reads 120500 km"): what it says is about a thing that exists, not one to create."""
    colon = step.find(":")
    head = step[:colon] if colon > 0 else ""
    return bool(head) and len(head.split()) <= 3 and any(_id_like(m) and m.end <= colon for m in found)


_GIVEN = (("first", "name"), ("given", "name"), ("forename",), ("first",))
_FAMILY = (("last", "name"), ("family", "name"), ("surname",), ("last",))


def _split_name(m: Mention, f: Field, fields: list[Field], values: dict[str, Any]) -> set[str]:
    """A person's whole name placed in a first (or last) name field, when the operation has both,
    is split: the first word is the given name, the rest the family name. Answers the fields set."""
    if m.kind != "name" or " " not in str(m.value):
        return set()
    given = next((g for g in fields if tuple(words(g.name)) in _GIVEN and g.location == f.location), None)
    family = next((g for g in fields if tuple(words(g.name)) in _FAMILY and g.location == f.location), None)
    if given is None or family is None or f not in (given, family):
        return set()
    other = family if f is given else given
    if other.name in values and values[other.name] != values[f.name]:
        return set()  # the step named it on its own
    first, _, last = str(m.value).partition(" ")
    values[given.name], values[family.name] = first, last
    return {given.name, family.name}


def _top_mean(scores: Vector) -> float:
    return float(np.sort(scores)[-2:].mean())


def _open_fields(fields: list[Field], values: dict[str, Any]) -> list[Field]:
    """Fields a leftover value may fill: required body fields, and a query's one plain field."""
    body = [f for f in fields if f.location == "body" and f.required and f.name not in values]
    plain = [
        f for f in fields if f.location == "query" and f.kind == "string" and not f.enum and not f.format
    ]
    if len(plain) == 1 and plain[0].name not in values:
        body.append(plain[0])
    return [f for f in body if not f.enum and f.kind != "boolean"]


_ASKING = frozenset(tokenize(" ".join(INTENTS["read"])))
# The names a free-text search parameter conventionally has.
_SEARCH_NAMES = frozenset(("q", "query", "search", "keyword", "keywords", "text", "term", "terms"))


def _search_word(step: str, tool: Tool, found: list[Mention]) -> str | None:
    """A lower-case word that neither the operation's documentation nor its fields use nor asking
    does, right after the step's verb ("Find headphones") or right before the word for the
    operation's things ("vegetarian lasagna recipes"): what to look for."""
    known = tool.terms | {t for f in tool.fields for t in f.terms} | _ASKING
    options = {w for f in tool.fields for v in f.enum for w in words(str(v))}
    tokens = [
        t for t in re.finditer(r"[A-Za-z]+", step) if not any(m.start <= t.start() < m.end for m in found)
    ]
    for i, token in enumerate(tokens):
        word = token.group(0)
        stems = tokenize(word)
        if not word.islower() or len(word) < 4 or not stems or stems[0] in known or word in options:
            continue
        verb = tokens[0].start() == 0 and stem(tokens[0].group(0)) in _ASKING
        follows_verb = i == 1 and verb
        before_thing = i + 1 < len(tokens) and stem(tokens[i + 1].group(0)) == stem(tool.entity)
        if follows_verb or before_thing:
            return word
    return None


# Words that carry no value, beyond the search index's stop words (auxiliaries, prepositions).
_FUNCTION_WORDS = (
    "do does did done have has had having is are was were will would can could shall should may "
    "might must get got one ones some any all every each now still also just over under above "
    "below less more than into onto with without about after before between through since until "
    "within across along around"
)
_FUNCTION = frozenset(_FUNCTION_WORDS.split(" "))


def _unknown_words(step: str, tool: Tool, found: list[Mention]) -> list[tuple[str, str]]:
    """The lower-case words outside mentions that the operation's documentation, its fields and
    asking to read never use, each with the word before it."""
    known = tool.terms | {t for f in tool.fields for t in f.terms} | _ASKING
    tokens = [
        t.group(0)
        for t in re.finditer(r"[A-Za-z]+", step)
        if not any(m.start <= t.start() < m.end for m in found)
    ]
    unknown = []
    for before, word in pairwise(tokens):
        stems = tokenize(word)
        if word.islower() and len(word) >= 3 and stems and stems[0] not in known and word not in _FUNCTION:
            unknown.append((before, word))
    return unknown


_INTENT_WORDS = frozenset(t for prototypes in INTENTS.values() for t in tokenize(" ".join(prototypes)))


# Where a person's name is said: after an auxiliary ("is chen working") or a preposition ("over to
# priya"), not after a determiner ("waiting for an answer") nor a noun ("crates lighter").
_BEFORE_NAME_WORDS = "is are was were has have had does do did will would can could to by for from"
_BEFORE_NAME = frozenset(_BEFORE_NAME_WORDS.split(" "))


def _name_like(before: str, word: str, fields: list[Field]) -> bool:
    """A word that may be someone's username: where a name is said (after an auxiliary or a
    preposition), not inflected (the stemmer leaves it as it is, so not "working" nor "gaskets"),
    not a value of one of the operation's enums, not a word of asking."""
    if stem(word) != word or word in _INTENT_WORDS or before.lower() not in _BEFORE_NAME:
        return False
    return all(word not in words(str(v)) for f in fields for v in f.enum)


# "as a backend engineer", up to the next preposition, comma or the end.
_STOPS_ROLE = r"(?:in|at|for|from|on|to|with|starting|and|then)\b"
_AS_ROLE = re.compile(
    rf"\bas an? (?!(?:result|rule|whole|example|matter)\b)((?:(?!{_STOPS_ROLE})[a-z]+\s*){{1,3}}?)"
    rf"(?=\s+{_STOPS_ROLE}|\s*[,.;]|\s*$)"
)


def _free_body(fields: list[Field], values: dict[str, Any]) -> list[Field]:
    """The body's free string fields still empty (no enum, no format, not a reference)."""
    free = [f for f in fields if f.location == "body" and f.kind == "string" and not f.enum and not f.format]
    return [f for f in free if f.name not in values and not _is_reference(f)]


def _plain_query(fields: list[Field], values: dict[str, Any]) -> list[Field]:
    """The query's free string fields still empty (no enum, no format)."""
    plain = [f for f in fields if f.location == "query" and f.kind == "string"]
    return [f for f in plain if not f.enum and not f.format and f.name not in values]


def _shape(text: str) -> str:
    """``INV-2026-0042`` -> ``A-9-9``: what a code looks like, whatever its letters and digits."""
    return re.sub(r"[A-Z]+", "A", re.sub(r"[a-z]+", "a", re.sub(r"\d+", "9", text)))


def _enum_named(step: str, f: Field) -> Any:
    """The enum value the step names in so many words (``on leave`` for ``on_leave``)."""
    lowered = step.lower()
    stems = set(tokenize(step))
    for value in f.enum:
        text = " ".join(words(str(value)))
        if re.search(rf"\b{re.escape(text)}\b", lowered) or (" " not in text and stem(text) in stems):
            return value
    return None


def _opposite_named(step: str, f: Field) -> bool:
    """The step names the flag's opposite: "offline" for ``online``, "unpaid" for ``isPaid``."""
    for word in words(f.name):
        if len(word) < 4 or word in ("is", "has"):
            continue
        opposites = [rf"(?:un|in|im|non-?|dis){word}"]
        if word.startswith("on"):
            opposites.append("off" + word[2:])
        if re.search(rf"\b(?:{'|'.join(opposites)})\b", step, re.I):
            return True
    return False


def _version(m: Mention) -> bool:
    return m.kind == "code" and bool(re.fullmatch(r"\d+(?:\.\d+)+", str(m.value)))


def _id_like(m: Mention) -> bool:
    return m.kind == "code" or (m.kind == "integer" and isinstance(m.value, int) and m.value >= 10)


def _is_reference(f: Field) -> bool:
    return f.name.lower().endswith(("id", "number", "code", "key"))


def _recall(f: Field, memory: Memory) -> Any:
    name = f.name.lower()
    if name in memory.values:
        return memory.values[name]
    if f.location == "path" and _is_reference(f) and "id" in memory.values:
        return memory.values["id"]
    return None


def _threshold(f: Field) -> float:
    return 0.5 if f.location == "path" else 1.0


def _affinity(f: Field, m: Mention) -> float | None:
    """How well the mention fits the field, or None when its kind cannot go there."""
    if not _compatible(f, m):
        return None
    numeric = m.kind in ("integer", "decimal") and f.kind in ("integer", "number")
    near = {stem(w) for w in m.before[-1:]}
    if numeric or m.kind in ("name", "code"):
        # "12 items", and a name or code followed by what it is: "the SALES department".
        near |= {stem(w) for w in m.after[:1]}
    context = {stem(w) for w in m.before}
    terms = f.terms
    bound = _bound(m) if numeric else ""
    anchored = bool(near & terms) or bool(bound and any(w.startswith(bound) for w in words(f.name)))
    # A word in capitals ("the WEB backlog") may be a key, as a code is an id.
    key = m.kind == "name" and str(m.value).isupper() and _is_reference(f)
    if f.location == "path" and not _id_like(m) and not anchored and not key:
        return None
    if "name" in words(f.name) and _id_like(m) and not anchored:
        return None
    if _version(m):
        # A dotted number (3.2.1) is a version, not the id of a thing.
        anchored = anchored or "version" in words(f.name)
        if f.location == "path":
            return None
    score = ANCHORED if anchored else 1.0 if context & terms else 0.0
    examples = [e for pair in _EXAMPLE.findall(f.description) for e in pair if e]
    if examples and isinstance(m.value, str | int):
        score += 1.5 if any(_shape(e) == _shape(str(m.value)) for e in examples) else -1.5
    if f.location == "path":
        score += 1.0 if _id_like(m) or m.kind == "name" else 0.0
    if f.format in ("date", "date-time", "email") or f.enum:
        score += 1.5
    if m.kind == "quoted" and set(words(f.name)) & {"title", "name", "subject"}:
        score += 1.5
    if m.kind == "text" and set(words(f.name)) & {"body", "comment", "message", "text", "note", "notes"}:
        score += 1.5
    return score


# Words that make a number an upper or a lower bound ("under 80", "at least 3").
_UPPER = frozenset(("under", "below", "less", "fewer", "most", "within", "cheaper", "shorter"))
_LOWER = frozenset(("over", "above", "more", "least", "exceeding", "beyond", "greater", "longer"))


def _bound(m: Mention) -> str:
    """``max`` for a number stated as an upper bound, ``min`` for a lower bound, else empty."""
    before = set(m.before[-2:])
    return "max" if before & _UPPER else "min" if before & _LOWER else ""


def _compatible(f: Field, m: Mention) -> bool:
    if f.enum:
        return str(m.value).lower() in {str(v).lower() for v in f.enum}
    if f.format == "date":
        return m.kind == "date"
    if f.format == "date-time":
        return m.kind == "datetime"
    if f.format == "email" or "email" in words(f.name):
        return m.kind == "email"
    if f.kind == "integer":
        return m.kind == "integer"
    if f.kind == "number":
        return m.kind in ("integer", "decimal")
    if f.kind == "boolean":
        return False
    if m.kind in ("date", "datetime", "email", "decimal"):
        return False
    if m.kind == "text":
        return f.location == "body"
    if m.kind == "integer":
        return isinstance(m.value, int) and m.value >= 10
    return True


def _typed(value: Any, f: Field) -> Any:
    for option in f.enum:
        if str(option).lower() == str(value).lower():
            return option
    if f.kind == "string" and not isinstance(value, str):
        return str(value)
    if f.kind == "integer" and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _scale(values: list[float]) -> list[float]:
    if not values:
        return []
    low, high = min(values), max(values)
    if high - low <= 1e-9:
        return [0.0 for _ in values]
    return [(v - low) / (high - low) for v in values]
