"""The fuzzing harness itself: it reaches a server error when there is one."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import given, settings
from schemathesis.core.failures import FailureGroup

from apim_common.errors import install_error_handlers
from tests.fuzz.conftest import MARKS, Fuzz, serving
from tests.support.tokens import TokenFactory

pytestmark = MARKS


def fragile_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/things/{thingId}")
    async def thing(thingId: str, offset: int = 0) -> dict[str, int]:
        if thingId == "seeded" and offset > 1000:
            raise OverflowError("too large")  # what an unbounded offset did in the database
        return {"offset": offset}

    return app


def test_the_harness_reports_a_server_error_reached_through_a_seeded_id(tokens: TokenFactory) -> None:
    app = fragile_app()
    fuzz = Fuzz(lambda: app)
    fuzz.known["thingId"] = ["seeded"]
    operation = fuzz.schema["/api/things/{thingId}"]["GET"]
    with serving("harness", app, tokens) as target:

        @settings(max_examples=200, derandomize=True, deadline=None, database=None)
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            target.check(case)

        with pytest.raises(FailureGroup, match="Server error"):
            run()
