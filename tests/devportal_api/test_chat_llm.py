"""API chat with an operator's OpenAI-compatible model: a tiny local stand-in server answers tool
calls; the tools come from the API definition, and an answer that breaks the operation's schema is
never planned as a call."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from apim_devportal.apichat.planner import Planner, split_steps
from apim_devportal.apichat.service import ApiChat, Session, plan_next
from apim_devportal.apichat.tools import from_openapi
from apim_devportal.apichat.validate import InvalidCall, check
from apim_devportal.assistant.llm import ChatModel
from benchmarks import eval_chat


class StandIn:
    """Answers each /chat/completions with the next queued tool call, and keeps what it was sent."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []


def _handler(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            stand_in.requests.append(json.loads(self.rfile.read(length)))
            name, arguments = stand_in.answers.pop(0) if stand_in.answers else ("finish_scenario", {})
            call = {"type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
            reply = {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [call]}}]}
            data = json.dumps(reply).encode()
            self.send_response(200 if self.path == "/v1/chat/completions" else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@pytest.fixture(scope="module")
def stand_in() -> Iterator[tuple[StandIn, str]]:
    state = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def staff() -> eval_chat.Api:
    return next(api for api in eval_chat.load() if api.name == "staff")


def _plan(url: str, staff: eval_chat.Api, command: str) -> Any:
    async def run() -> Any:
        model = ChatModel(url, "stand-in")
        session = Session(command, from_openapi(staff.definition), split_steps(command))
        try:
            return await plan_next(ApiChat(Planner(None), model=model), session)
        finally:
            await model.aclose()

    return asyncio.run(run())


def test_the_model_is_offered_the_apis_operations_and_its_call_is_typed_by_the_schema(
    stand_in: tuple[StandIn, str], staff: eval_chat.Api
) -> None:
    state, url = stand_in
    state.answers = [
        ("PATCH-employees_employeeId", {"employeeId": "381", "requestBody": {"jobTitle": "Team Lead"}})
    ]
    tool, inputs = _plan(url, staff, "Worker 381: the new job title is Team Lead")
    assert (tool.method, tool.path) == ("PATCH", "/employees/{employeeId}")
    assert inputs["parameters"] == {"employeeId": 381}
    assert inputs["requestPath"] == "/employees/381"
    assert inputs["requestBody"] == {"jobTitle": "Team Lead"}
    functions = {t["function"]["name"]: t["function"] for t in state.requests[-1]["tools"]}
    patch = functions["PATCH-employees_employeeId"]
    assert patch["parameters"]["properties"]["employeeId"]["type"] == "integer"
    assert set(patch["parameters"]["properties"]["requestBody"]["properties"]) == {
        "jobTitle",
        "department",
        "salary",
    }
    assert "Changes fields of an employee record" in patch["description"]
    assert "finish_scenario" in functions
    assert "Worker 381" in state.requests[-1]["messages"][1]["content"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"employeeId": "three-eighty-one", "requestBody": {"jobTitle": "Team Lead"}},
        {"employeeId": 381, "requestBody": {"title": "Team Lead"}},
        {"requestBody": {"jobTitle": "Team Lead"}},
    ],
    ids=["wrong-type", "unknown-field", "missing-path-value"],
)
def test_a_model_call_that_breaks_the_schema_is_not_planned(
    stand_in: tuple[StandIn, str], staff: eval_chat.Api, arguments: dict[str, Any]
) -> None:
    state, url = stand_in
    state.answers = [("PATCH-employees_employeeId", arguments)]
    planned = _plan(url, staff, "Worker 381: the new job title is Team Lead")
    # The offline planner plans the step instead: never the model's broken values.
    assert planned is not None
    _, inputs = planned
    assert inputs["parameters"].get("employeeId") in (None, 381)
    assert "title" not in (inputs.get("requestBody") or {})


def test_the_schema_check_names_what_is_wrong(staff: eval_chat.Api) -> None:
    tools = {f"{t.method} {t.path}": t for t in from_openapi(staff.definition)}
    leave = tools["POST /employees/{employeeId}/leave-requests"]
    typed, body = check(
        leave, {"employeeId": "7"}, {"type": "sick", "startDate": "2026-04-02", "endDate": "2026-04-03"}
    )
    assert typed == {"employeeId": 7}
    assert body["type"] == "sick"
    with pytest.raises(InvalidCall, match="type must be one of vacation, sick, parental"):
        check(
            leave, {"employeeId": 7}, {"type": "holiday", "startDate": "2026-04-02", "endDate": "2026-04-03"}
        )
    with pytest.raises(InvalidCall, match=r"startDate must be a date \(YYYY-MM-DD\)"):
        check(leave, {"employeeId": 7}, {"type": "sick", "startDate": "2 April", "endDate": "2026-04-03"})
    with pytest.raises(InvalidCall, match="needs endDate"):
        check(leave, {"employeeId": 7}, {"type": "sick", "startDate": "2026-04-02"})


def test_the_evaluation_harness_runs_against_the_configured_model(
    stand_in: tuple[StandIn, str], staff: eval_chat.Api
) -> None:
    state, url = stand_in
    scenario = next(s for s in staff.scenarios if s.id == "staff-09")
    state.answers = [
        (
            "PUT-leave-requests_requestId_approval",
            {"requestId": 9031, "requestBody": {"decision": "approved"}},
        )
    ]
    loop = asyncio.new_event_loop()
    model = ChatModel(url, "stand-in")
    try:
        one = eval_chat.Api(staff.name, staff.definition, [scenario])
        scores = eval_chat.evaluate(eval_chat.model_plan(model, Planner(None), loop), [one])
        loop.run_until_complete(model.aclose())
    finally:
        loop.close()
    figures = scores[scenario.part].figures()
    assert (figures["scenarios"], figures["first"], figures["sequence"], figures["body_present"]) == (
        1,
        1.0,
        1.0,
        1.0,
    )
