"""JSON Schema validation for enableSchemaValidation: jsonschema-rs against fastjsonschema, same run.

For three schemas (a small object, a nested object with arrays, a larger document of many
referenced definitions) prints, per library: the compile time of one schema, and the time of one
validation call on a valid and on an invalid payload (the invalid one fails deep inside). Each
figure is the median of several repeats of a timed loop.

    uv run python benchmarks/bench_schema_validation.py [--calls N]

Figures are noisy on a shared machine: compare the rows of one run.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

import fastjsonschema
import jsonschema_rs

REPEATS = 5

SMALL = {
    "type": "object",
    "required": ["name", "price"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 80},
        "price": {"type": "number", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
SMALL_VALID = {"name": "Rex", "price": 12.5, "tags": ["dog", "brown"]}
SMALL_INVALID = {"name": "Rex", "price": -1, "tags": ["dog"]}

NESTED = {
    "type": "object",
    "required": ["id", "customer", "lines"],
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{6}$"},
        "customer": {
            "type": "object",
            "required": ["email", "address"],
            "properties": {
                "email": {"type": "string", "maxLength": 254},
                "address": {
                    "type": "object",
                    "required": ["street", "city", "country"],
                    "properties": {
                        "street": {"type": "string"},
                        "city": {"type": "string"},
                        "country": {"type": "string", "enum": ["NL", "LK", "US", "GB", "DE", "FR"]},
                    },
                },
            },
        },
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["sku", "quantity", "price"],
                "properties": {
                    "sku": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "price": {"type": "number", "minimum": 0},
                    "options": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
NESTED_VALID = {
    "id": "ORD-000123",
    "customer": {
        "email": "a@example.com",
        "address": {"street": "1 Main", "city": "Colombo", "country": "LK"},
    },
    "lines": [{"sku": f"SKU-{i}", "quantity": i + 1, "price": 9.99, "options": ["gift"]} for i in range(20)],
}
NESTED_INVALID = copy.deepcopy(NESTED_VALID)
NESTED_INVALID["lines"][19]["quantity"] = 0


def _large() -> tuple[dict[str, Any], Any, Any]:
    """A document of 60 definitions referencing one another, as a large OpenAPI file has."""
    definitions: dict[str, Any] = {}
    for i in range(60):
        properties: dict[str, Any] = {f"field{j}": {"type": ["string", "integer"][j % 2]} for j in range(12)}
        if i + 1 < 60:
            properties["next"] = {"$ref": f"#/definitions/D{i + 1}"}
        properties["items"] = {"type": "array", "items": {"$ref": "#/definitions/Leaf"}}
        definitions[f"D{i}"] = {"type": "object", "required": ["field0", "field1"], "properties": properties}
    definitions["Leaf"] = {
        "type": "object",
        "required": ["k"],
        "properties": {"k": {"type": "string"}, "v": {"type": "number"}},
    }
    schema = {"$ref": "#/definitions/D0", "definitions": definitions}
    valid: dict[str, Any] = {}
    node = valid
    for i in range(60):
        node.update({f"field{j}": ("x" if j % 2 == 0 else j) for j in range(12)})
        node["items"] = [{"k": str(n), "v": n} for n in range(5)]
        if i + 1 < 60:
            node["next"] = {}
            node = node["next"]
    invalid = copy.deepcopy(valid)
    node = invalid
    for _ in range(59):
        node = node["next"]
    node["items"][4]["v"] = "not a number"
    return schema, valid, invalid


def _median(fn: Callable[[], object], loops: int) -> float:
    """Seconds per call: the median of ``REPEATS`` timed loops of ``loops`` calls."""
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        runs.append((time.perf_counter() - start) / loops)
    return statistics.median(runs)


def _rs(schema: dict[str, Any]) -> Callable[[Any], bool]:
    validator = jsonschema_rs.Draft4Validator(
        schema, validate_formats=True, offline=True, pattern_options=jsonschema_rs.RegexOptions()
    )
    return validator.is_valid


def _fast(schema: dict[str, Any]) -> Callable[[Any], bool]:
    check = fastjsonschema.compile(schema)

    def is_valid(instance: Any) -> bool:
        try:
            check(instance)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return is_valid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    large, large_valid, large_invalid = _large()
    cases = [
        ("small object", SMALL, SMALL_VALID, SMALL_INVALID),
        ("nested, 20 lines", NESTED, NESTED_VALID, NESTED_INVALID),
        ("60 referenced definitions", large, large_valid, large_invalid),
    ]
    libraries: list[tuple[str, Callable[[dict[str, Any]], Callable[[Any], bool]]]] = [
        ("jsonschema-rs", _rs),
        ("fastjsonschema", _fast),
    ]
    print(f"{'schema':28} {'library':15} {'compile':>12} {'valid call':>12} {'invalid call':>13}")
    for name, schema, valid, invalid in cases:
        for library, build in libraries:
            is_valid = build(schema)
            assert is_valid(valid), (name, library)
            assert not is_valid(invalid), (name, library)
            compile_s = _median(lambda build=build, schema=schema: build(schema), 20)
            valid_s = _median(lambda is_valid=is_valid, valid=valid: is_valid(valid), args.calls)
            invalid_s = _median(lambda is_valid=is_valid, invalid=invalid: is_valid(invalid), args.calls)
            print(
                f"{name:28} {library:15} {compile_s * 1e3:>9.3f} ms {valid_s * 1e6:>9.2f} us"
                f" {invalid_s * 1e6:>10.2f} us"
            )
    # Patterns come from user definitions: the time of one catastrophic-backtracking candidate.
    evil = {"type": "string", "pattern": "^(a+)+$"}
    subject = "a" * 24 + "!"
    for library, build in libraries:
        is_valid = build(evil)
        start = time.perf_counter()
        is_valid(subject)
        elapsed = time.perf_counter() - start
        print(f"pattern ^(a+)+$ on 24 a's and '!': {library:15} {elapsed * 1e3:10.3f} ms")


if __name__ == "__main__":
    main()
