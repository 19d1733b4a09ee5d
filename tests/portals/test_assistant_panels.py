"""The assistant and API chat panels without a browser: the portal drives API chat's calls through
the gateway with the user's try-it credential, and the fragments render what came back."""

from __future__ import annotations

import json
from typing import Any

import httpx

from apim_portals.devportal.assistant import Call, run_scenario
from apim_portals.sessions import TryItCredential
from apim_portals.web import templates


async def test_api_chat_calls_go_through_the_gateway_with_the_users_credential_only() -> None:
    posted: list[dict[str, Any]] = []
    replies = iter(
        [
            {
                "taskStatus": "IN_PROGRESS",
                "resource": {
                    "method": "POST",
                    "path": "/pet",
                    "inputs": {"requestPath": "/pet", "requestBody": {"name": "Rex"}},
                },
            },
            {
                "taskStatus": "IN_PROGRESS",
                "resource": {"method": "GET", "path": "/pet/{petId}", "inputs": {"requestPath": "/pet/7"}},
            },
            {"taskStatus": "COMPLETED", "result": "Ran 2 call(s)"},
        ]
    )

    async def devportal(method: str, path: str, **kwargs: Any) -> Any:
        assert (method, path, kwargs["params"]) == ("POST", "/apis/p1/api-chat", {"apiChatAction": "EXECUTE"})
        posted.append(kwargs["json"])
        return next(replies)

    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201 if request.method == "POST" else 200, json={"id": 7, "name": "Rex"})

    credential = TryItCredential(label="PizzaApp", header="authorization", value="user-token")
    async with httpx.AsyncClient(transport=httpx.MockTransport(gateway)) as http:
        # The POST was shown and approved: the run resumes with it.
        calls, reply = await run_scenario(
            devportal,
            http,
            "https://gw.test/pets/1.0.0",
            credential,
            "p1",
            "Add Rex, then get it",
            request_id="chat-1",
            approved="POST /pet",
        )

    assert [(c.method, c.path, c.status) for c in calls] == [("POST", "/pet", 201), ("GET", "/pet/7", 200)]
    assert reply["result"] == "Ran 2 call(s)"
    assert [str(r.url) for r in seen] == [
        "https://gw.test/pets/1.0.0/pet",
        "https://gw.test/pets/1.0.0/pet/7",
    ]
    assert all(r.headers["authorization"] == "Bearer user-token" for r in seen)
    assert json.loads(seen[0].content) == {"name": "Rex"}
    assert posted[1]["response"] == {
        "code": 201,
        "path": "/pet",
        "headers": {},
        "body": {"id": 7, "name": "Rex"},
    }
    assert len({p["apiChatRequestId"] for p in posted}) == 1
    assert "user-token" not in json.dumps(posted)


def test_the_assistant_fragment_links_the_suggested_apis_and_escapes_the_answer() -> None:
    answer = {
        "response": "Use <b>PackageTracking</b>",
        "apis": [{"apiId": "a/1", "apiName": "PackageTracking", "version": "1.0.0"}],
    }
    html = templates.get_template("partials/assistant_answer.html").render(answer=answer, query="parcel")
    assert '<a href="/devportal/apis/a%2F1">PackageTracking</a>' in html
    assert "&lt;b&gt;PackageTracking&lt;/b&gt;" in html


def test_the_api_chat_fragment_lists_each_call_and_the_summary() -> None:
    calls = [Call("DELETE", "/order/77", 204, "")]
    html = templates.get_template("partials/api_chat_result.html").render(
        calls=calls, reply={"result": "Every call succeeded."}, command="Cancel order 77", credential=None
    )
    assert "<code>/order/77</code>" in html
    assert "204" in html
    assert "Every call succeeded." in html
    assert "No try-it credential is chosen" in html
