"""API chat's offline planner, rule by rule, on a small warehouse API and sentences of its own
(the evaluation's scenarios in tests/data/chat_eval are not used here)."""

from __future__ import annotations

import functools
import json
from typing import Any

from apim_devportal.apichat.planner import Memory, Planner
from apim_devportal.apichat.tools import Tool, from_openapi
from apim_devportal.assistant.embedder import load_embedder

_OK = {"200": {"description": "OK"}}
WAREHOUSE = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Warehouse", "version": "1.0.0"},
        "paths": {
            "/parts": {
                "post": {
                    "summary": "Receive parts into stock",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["part", "quantity"],
                                    "properties": {
                                        "part": {"type": "string"},
                                        "quantity": {"type": "integer"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": _OK,
                }
            },
            "/parts/{part}": {
                "get": {
                    "summary": "Get a spare part",
                    "parameters": [
                        {"name": "part", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": _OK,
                }
            },
        },
    }
)


@functools.cache
def planner() -> Planner:
    """The planner as the service builds it (the local embedding model when installed)."""
    return Planner(load_embedder())


def tool(method: str, path: str) -> Tool:
    return next(t for t in from_openapi(WAREHOUSE) if (t.method, t.path) == (method, path))


def planned(step: str, method: str, path: str) -> dict[str, Any]:
    inputs = planner().inputs(step, tool(method, path), Memory())
    return {**inputs["parameters"], **(inputs.get("requestBody") or {})}


def test_a_code_that_starts_with_the_fields_name_is_its_value_whole() -> None:
    assert planned("Store 4 PART-HX-9 in the north hall", "POST", "/parts")["part"] == "PART-HX-9"
    assert planned("Show me PART-HX-9", "GET", "/parts/{part}")["part"] == "PART-HX-9"
