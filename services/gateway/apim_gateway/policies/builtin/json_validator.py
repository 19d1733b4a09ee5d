"""jsonValidator: JSON schema validation and WSO2's JSON threat-protection limits.

Limits (each optional): ``maxJSONDepth`` (nesting of objects and arrays; ``{}`` is depth 1),
``maxStringLength``, ``maxArrayElementCount``, ``maxPropertyCount`` (per object),
``maxKeyLength``. Bodies with a JSON media type (or none) are checked; empty bodies pass.
A refused request gets 400 ``{"code": "400", "message": "Bad Request", ...}`` as WSO2's threat
protector answers; a response that fails gets 500 instead of the invalid body.

The schema's regular expressions (``pattern``, ``patternProperties``, and so
``additionalProperties`` beside them) run on RE2, not on Python's backtracking ``re``: a pattern
such as ``^(\\w+\\s?)*$`` would otherwise let one crafted string hold the event loop for
seconds. A pattern RE2 cannot compile is refused when the policy is attached (and deployed).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import re2

from apim_common.policy_specs import linear_pattern_error, schema_patterns
from apim_gateway.context import Exchange, Headers
from apim_gateway.policies.base import PolicyRefusal, Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy, is_encoded, is_json, media_type, utf8


def _options() -> Any:
    options = re2.Options()
    options.never_capture = True
    options.log_errors = False
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=4096)
def _regex(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


# jsonschema's own keywords, with re2 where they call re.search.
def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and _regex(pattern).search(utf8(instance)) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        regex = _regex(pattern)
        for key, value in instance.items():
            if regex.search(utf8(key)) is not None:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, allowed: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = [_regex(p) for p in schema.get("patternProperties", {})]
    extras = sorted(
        (k for k in instance if k not in properties and not any(r.search(utf8(k)) for r in patterns)),
        key=str,
    )
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        joined = ", ".join(repr(each) for each in extras)
        if "patternProperties" in schema:
            regexes = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            verb = "does" if len(extras) == 1 else "do"
            yield jsonschema.ValidationError(f"{joined} {verb} not match any of the regexes: {regexes}")
        else:
            verb = "was" if len(extras) == 1 else "were"
            yield jsonschema.ValidationError(
                f"Additional properties are not allowed ({joined} {verb} unexpected)"
            )


_LINEAR_KEYWORDS = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
}


@functools.cache
def _linear(cls: Any) -> Any:
    """The draft's validator class with the regex keywords above."""
    return jsonschema.validators.extend(cls, _LINEAR_KEYWORDS)


@register
class JsonValidator(BuiltinPolicy):
    name = "jsonValidator"
    needs_request_body = True
    needs_response_body = True

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        schema = self.values["jsonSchema"]
        self.validator: Any = None
        if schema is not None:
            if not isinstance(schema, dict | bool):
                raise self.config_error("jsonSchema", "a JSON schema is an object")
            cls = jsonschema.validators.validator_for(schema)
            try:
                cls.check_schema(schema)
            except jsonschema.exceptions.SchemaError as exc:
                raise self.config_error("jsonSchema", f"not a valid JSON schema: {exc.message}") from exc
            for pattern in schema_patterns(schema):
                reason = linear_pattern_error(pattern)
                if reason is not None:
                    raise self.config_error("jsonSchema", f"the pattern {pattern!r} is {reason}")
                _regex(pattern)
            self.validator = _linear(cls)(schema)
        self.max_depth: int | None = self.values["maxJSONDepth"]
        self.max_string: int | None = self.values["maxStringLength"]
        self.max_array: int | None = self.values["maxArrayElementCount"]
        self.max_properties: int | None = self.values["maxPropertyCount"]
        self.max_key: int | None = self.values["maxKeyLength"]
        self.has_limits = any(
            limit is not None
            for limit in (self.max_depth, self.max_string, self.max_array, self.max_properties, self.max_key)
        )

    def problem(self, body: bytes) -> str | None:
        """Why ``body`` is refused, or None."""
        try:
            document = json.loads(body)
        except RecursionError:
            return "JSON threat detected: the body is nested too deeply"
        except ValueError as exc:
            return f"the body is not valid JSON: {exc}"
        if self.has_limits:
            threat = self._limits(document)
            if threat:
                return f"JSON threat detected: {threat}"
        if self.validator is not None:
            error = jsonschema.exceptions.best_match(self.validator.iter_errors(document))
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path)
                return f"JSON schema validation failed at '/{where}': {error.message}"
        return None

    def _limits(self, document: Any) -> str | None:
        # Iterative: a hostile body must not be able to exhaust the stack here.
        stack: list[tuple[Any, int]] = [(document, 1)]
        while stack:
            value, depth = stack.pop()
            if isinstance(value, dict | list) and self.max_depth is not None and depth > self.max_depth:
                return f"JSON depth exceeds {self.max_depth}"
            if isinstance(value, dict):
                if self.max_properties is not None and len(value) > self.max_properties:
                    return f"an object has more than {self.max_properties} properties"
                for key, item in value.items():
                    if self.max_key is not None and len(key) > self.max_key:
                        return f"a key is longer than {self.max_key} characters"
                    stack.append((item, depth + 1))
            elif isinstance(value, list):
                if self.max_array is not None and len(value) > self.max_array:
                    return f"an array has more than {self.max_array} elements"
                stack.extend((item, depth + 1) for item in value)
            elif isinstance(value, str) and self.max_string is not None and len(value) > self.max_string:
                return f"a string is longer than {self.max_string} characters"
        return None

    @staticmethod
    def _applies(headers: Headers, body: bytes | None) -> bool:
        if not body or is_encoded(headers):
            return False
        media = media_type(headers)
        return not media or is_json(media)

    async def on_request(self, exchange: Exchange) -> Reply | None:
        body = await exchange.request_body()
        if self._applies(exchange.request.headers, body):
            reason = self.problem(body)
            if reason:
                raise PolicyRefusal(400, "400", "Bad Request", reason)
        return None

    async def on_response(self, exchange: Exchange) -> None:
        response = exchange.response
        if response is None or not self._applies(response.headers, response.body):
            return
        assert response.body is not None
        reason = self.problem(response.body)
        if reason:
            raise PolicyRefusal(
                500, "500", "Internal Server Error", f"The backend's response failed: {reason}"
            )
