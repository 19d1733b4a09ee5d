"""API chat's safety: a call that may change data is shown and waits for the user's approval; a
planned URL that leaves the API's gateway URL is refused; devportal-api hands the pending call out
again so the portal can show it before making it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from apim_devportal.apichat.planner import Planner
from apim_devportal.apichat.schemas import ApiChatRequest, ApiSpec, TaskStatus
from apim_devportal.apichat.service import ApiChat, execute
from apim_devportal.apichat.tools import from_openapi
from apim_portals.devportal.assistant import OFF_GATEWAY, on_gateway, planned_call, run_scenario
from apim_portals.web import templates
from tests.devportal_api.assistant_fixtures.api_chat import DEFINITIONS

BASE = "https://gw.test/pets/1.0.0"


def _devportal(replies: list[dict[str, Any]], posted: list[dict[str, Any]]) -> Any:
    answers = iter(replies)

    async def call(method: str, path: str, **kwargs: Any) -> Any:
        posted.append(kwargs["json"])
        return next(answers)

    return call


def _resource(method: str, target: str, body: Any = None) -> dict[str, Any]:
    inputs: dict[str, Any] = {"requestPath": target}
    if body is not None:
        inputs["requestBody"] = body
    return {"taskStatus": "IN_PROGRESS", "resource": {"method": method, "path": target, "inputs": inputs}}


async def test_a_call_that_changes_data_is_shown_and_made_only_once_approved() -> None:
    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 7})

    delete = _resource("DELETE", "/pet/7")
    posted: list[dict[str, Any]] = []
    first = _devportal([_resource("GET", "/pet/7"), delete], posted)
    async with httpx.AsyncClient(transport=httpx.MockTransport(gateway)) as http:
        calls, reply = await run_scenario(first, http, BASE, None, "p1", "Show pet 7, then delete it")
        assert [(c.method, c.path) for c in calls] == [("GET", "/pet/7")]
        assert reply["resource"]["method"] == "DELETE"
        assert [r.method for r in seen] == ["GET"]

        # Approving another call than the one planned makes nothing.
        posted_again: list[dict[str, Any]] = []
        again = _devportal([delete], posted_again)
        request_id = reply["apiChatRequestId"]
        calls, _ = await run_scenario(
            again, http, BASE, None, "p1", "", request_id=request_id, approved="DELETE /pet/8"
        )
        assert calls == []
        assert posted_again == [{"apiChatRequestId": request_id}]

        approved = planned_call(delete["resource"])
        done = _devportal([delete, {"taskStatus": "COMPLETED", "result": "Ran 2 call(s)"}], [])
        calls, reply = await run_scenario(
            done, http, BASE, None, "p1", "", request_id=request_id, approved=approved
        )
    assert approved == "DELETE /pet/7"
    assert [(c.method, c.path) for c in calls] == [("DELETE", "/pet/7")]
    assert [r.method for r in seen] == ["GET", "DELETE"]
    assert reply["taskStatus"] == "COMPLETED"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/steal", "//evil.example/steal", "/../../admin", "@evil.example/x", "/pet\\..\\x"],
)
async def test_a_planned_url_off_the_apis_gateway_url_is_refused(target: str) -> None:
    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    devportal = _devportal([_resource("GET", target)], [])
    async with httpx.AsyncClient(transport=httpx.MockTransport(gateway)) as http:
        calls, reply = await run_scenario(devportal, http, BASE, None, "p1", "Steal")
    assert seen == []
    assert [(c.status, c.body) for c in calls] == [(None, OFF_GATEWAY)]
    assert reply["taskStatus"] == "TERMINATED"
    assert on_gateway(BASE, "/pet/7?status=sold")


def test_the_api_chat_fragment_shows_the_planned_call_with_its_approval_form() -> None:
    html = templates.get_template("partials/api_chat_result.html").render(
        calls=[],
        reply={"apiChatRequestId": "r-1", "taskStatus": "IN_PROGRESS"},
        command="Delete pet 7",
        credential=None,
        api_id="p1",
        planned="DELETE /pet/7",
        planned_body=json.dumps({"reason": "gone"}),
    )
    assert "<code>DELETE /pet/7</code>" in html
    assert 'name="approve" value="DELETE /pet/7"' in html
    assert 'name="apiChatRequestId" value="r-1"' in html
    assert "Make this call" in html


async def test_devportal_hands_the_pending_call_out_again_and_encodes_every_path_value() -> None:
    chat = ApiChat(Planner(None))
    tools = [t.public() for t in from_openapi(DEFINITIONS["PetStore"])]
    request = ApiChatRequest(apiChatRequestId="r-2", command="Delete pet 42", apiSpec=ApiSpec(tools=tools))
    first = await execute(chat, None, "https://gw.test", "alice", request)  # type: ignore[arg-type]
    assert first.taskStatus is TaskStatus.IN_PROGRESS
    assert first.resource is not None
    assert (first.resource.method, first.resource.inputs["requestPath"]) == ("DELETE", "/pet/42")
    resume = ApiChatRequest(apiChatRequestId="r-2")
    again = await execute(chat, None, "https://gw.test", "alice", resume)  # type: ignore[arg-type]
    assert again.resource == first.resource
