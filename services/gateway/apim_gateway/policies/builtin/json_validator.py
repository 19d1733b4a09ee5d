"""jsonValidator: JSON schema validation and WSO2's JSON threat-protection limits.

Limits (each optional): ``maxJSONDepth`` (nesting of objects and arrays; ``{}`` is depth 1),
``maxStringLength``, ``maxArrayElementCount``, ``maxPropertyCount`` (per object),
``maxKeyLength``. Bodies with a JSON media type (or none) are checked; empty bodies pass.
A refused request gets 400 ``{"code": "400", "message": "Bad Request", ...}`` as WSO2's threat
protector answers; a response that fails gets 500 instead of the invalid body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from apim_gateway.context import Exchange, Headers
from apim_gateway.policies.base import PolicyRefusal, Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy, is_encoded, is_json, media_type


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
            self.validator = cls(schema)
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
