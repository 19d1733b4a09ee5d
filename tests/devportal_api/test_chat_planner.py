"""API chat's offline planner, rule by rule, on a small warehouse API and sentences of its own
(the evaluation's scenarios in tests/data/chat_eval are not used here)."""

from __future__ import annotations

import functools
import json
import os
from typing import Any

import pytest

from apim_devportal.apichat import planner as planner_module
from apim_devportal.apichat.mentions import mentions
from apim_devportal.apichat.planner import Memory, Planner, split_steps
from apim_devportal.apichat.schemas import ApiResponse
from apim_devportal.apichat.service import Session, next_call, record
from apim_devportal.apichat.tools import Tool, from_openapi
from apim_devportal.assistant.embedder import load_embedder

# One thread for the embedding model, set before it loads: on a shared machine its spinning
# threads cost ten times the CPU (benchmarks/eval_chat.py does the same).
os.environ.setdefault("OMP_NUM_THREADS", "1")

_OK = {"200": {"description": "OK"}}


def _body(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"content": {"application/json": {"schema": schema}}}


def _path(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _query(name: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema or {"type": "string"}}


_TEXT = {"type": "string"}
_COUNT = {"type": "integer"}
WAREHOUSE = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Warehouse", "version": "1.0.0"},
        "paths": {
            "/parts": {
                "get": {"summary": "List the parts in stock", "parameters": [_query("q")], "responses": _OK},
                "post": {
                    "summary": "Receive parts into stock",
                    "requestBody": _body(["part", "quantity"], part=_TEXT, quantity=_COUNT),
                    "responses": _OK,
                },
            },
            "/parts/{part}": {
                "get": {"summary": "Get a spare part", "parameters": [_path("part")], "responses": _OK}
            },
            "/bins/{binId}": {
                "get": {
                    "summary": "Get a storage bin",
                    "description": "A bin's place in the hall, its size and what it holds.",
                    "parameters": [_path("binId", "integer")],
                    "responses": _OK,
                },
                "patch": {
                    "summary": "Update a storage bin",
                    "parameters": [_path("binId", "integer")],
                    "requestBody": _body([], hall=_TEXT, capacity=_COUNT),
                    "responses": _OK,
                },
            },
            "/bins/{binId}/movements": {
                "get": {
                    "summary": "List the stock movements of a bin",
                    "description": "Every part put into or taken out of the bin, newest first.",
                    "parameters": [_path("binId", "integer"), _query("since", type="string", format="date")],
                    "responses": _OK,
                }
            },
            "/drivers/{username}/routes": {
                "get": {
                    "summary": "List a driver's delivery routes",
                    "parameters": [
                        _path("username"),
                        _query("from", type="string", format="date"),
                        _query("to", type="string", format="date"),
                    ],
                    "responses": _OK,
                }
            },
            "/crates": {
                "get": {
                    "summary": "Search crates",
                    "parameters": [
                        _query("approver"),
                        {
                            "name": "checker",
                            "in": "query",
                            "description": "Username of the clerk who weighed it",
                            "schema": {"type": "string"},
                        },
                        _query("minWeight", type="number"),
                        _query("maxWeight", type="number"),
                    ],
                    "responses": _OK,
                }
            },
            "/orders": {
                "get": {
                    "summary": "List purchase orders",
                    "parameters": [
                        {
                            "name": "supplier",
                            "in": "query",
                            "description": "Supplier code such as SUP-12",
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": _OK,
                },
                "post": {
                    "summary": "Raise a purchase order",
                    "requestBody": _body(["supplier", "reference"], supplier=_TEXT, reference=_TEXT),
                    "responses": _OK,
                },
            },
            "/pallets/{palletId}": {
                "get": {"summary": "Get a pallet", "parameters": [_path("palletId")], "responses": _OK}
            },
            "/pallets/{palletId}/ship": {
                "post": {
                    "summary": "Dispatch a pallet",
                    "description": "Hands the pallet to a carrier for delivery.",
                    "parameters": [_path("palletId")],
                    "requestBody": _body([], carrier=_TEXT),
                    "responses": _OK,
                }
            },
            "/docks": {
                "get": {
                    "summary": "List the loading docks",
                    "parameters": [_query("state", type="string", enum=["in_use", "idle", "under_repair"])],
                    "responses": _OK,
                }
            },
            "/docks/{dockId}": {
                "get": {"summary": "Get a loading dock", "parameters": [_path("dockId")], "responses": _OK},
                "patch": {
                    "summary": "Update a loading dock",
                    "parameters": [_path("dockId")],
                    "requestBody": _body(
                        [],
                        keeper={"type": "string", "description": "Username of the picker in charge"},
                        height=_COUNT,
                    ),
                    "responses": _OK,
                },
            },
            "/scanners": {
                "get": {
                    "summary": "List handheld scanners",
                    "parameters": [_query("online", type="boolean"), _query("charged", type="boolean")],
                    "responses": _OK,
                }
            },
            "/scanners/{scannerId}/software": {
                "put": {
                    "summary": "Install software on a scanner",
                    "parameters": [_path("scannerId")],
                    "requestBody": _body(["version"], version=_TEXT),
                    "responses": _OK,
                }
            },
            "/pickers": {
                "post": {
                    "summary": "Take on a new picker",
                    "requestBody": _body(
                        ["givenName", "familyName"],
                        givenName=_TEXT,
                        familyName=_TEXT,
                        badge=_TEXT,
                        role={"type": "string", "description": "What the picker does"},
                    ),
                    "responses": _OK,
                }
            },
            "/suppliers": {
                "get": {
                    "summary": "Search suppliers",
                    "parameters": [_query("q"), _query("country")],
                    "responses": _OK,
                },
                "post": {
                    "summary": "Add a supplier",
                    "requestBody": _body(["name", "country"], name=_TEXT, country=_TEXT),
                    "responses": _OK,
                },
            },
            "/suppliers/{code}": {
                "patch": {
                    "summary": "Update a supplier",
                    "parameters": [_path("code")],
                    "requestBody": _body([], phone=_TEXT, contact=_TEXT),
                    "responses": _OK,
                }
            },
            "/forklifts": {
                "get": {
                    "summary": "List forklifts",
                    "parameters": [
                        _query("state", type="string", enum=["charging", "idle", "broken"]),
                        _query("operator"),
                    ],
                    "responses": _OK,
                },
                "post": {
                    "summary": "Register a forklift",
                    "requestBody": _body(["vin", "model"], vin=_TEXT, model=_TEXT),
                    "responses": _OK,
                },
            },
            "/forklifts/{vin}": {
                "get": {"summary": "Get a forklift", "parameters": [_path("vin")], "responses": _OK}
            },
            "/zones/{zoneKey}/bins": {
                "get": {
                    "summary": "List the bins of a zone",
                    "parameters": [_path("zoneKey")],
                    "responses": _OK,
                }
            },
            "/pickers/{pickerId}/shifts": {
                "get": {
                    "summary": "List a picker's shifts",
                    "description": "The shifts a warehouse worker works, with the bins they empty.",
                    "parameters": [_path("pickerId", "integer")],
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


def chosen(step: str) -> str:
    found = planner().choose(step, from_openapi(WAREHOUSE), Memory())
    return f"{found.method} {found.path}"


def test_a_code_that_starts_with_the_fields_name_is_its_value_whole() -> None:
    assert planned("Store 4 PART-HX-9 in the north hall", "POST", "/parts")["part"] == "PART-HX-9"
    assert planned("Show me PART-HX-9", "GET", "/parts/{part}")["part"] == "PART-HX-9"


def test_a_step_naming_a_thing_by_its_id_reads_that_thing_not_what_is_under_it() -> None:
    assert chosen("Have a look at bin 7731") == "GET /bins/{binId}"
    assert chosen("What went in and out of bin 7731?") == "GET /bins/{binId}/movements"
    assert chosen("Movements of bin 7731 since 2026-03-01") == "GET /bins/{binId}/movements"


def test_a_step_naming_a_thing_by_its_id_skips_operations_that_cannot_take_that_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    step = "Which worker empties bin 7731?"
    assert chosen(step).startswith("GET /bins/{binId}")
    # Nearer in meaning to the picker's shifts ("a warehouse worker ... the bins they empty").
    monkeypatch.setattr(planner_module, "THING_WEIGHT", 0.0)
    assert chosen(step) == "GET /pickers/{pickerId}/shifts"


def test_a_short_command_naming_nothing_to_write_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    assert chosen("Open bin 7731") == "GET /bins/{binId}"
    monkeypatch.setattr(planner_module, "EMPTY_WRITE_WEIGHT", 0.0)
    assert chosen("Open bin 7731") == "PATCH /bins/{binId}"


@pytest.mark.parametrize(
    ("step", "kind"),
    [
        ("Pull up crate 81", "read"),
        ("Give me the list of overdue parcels", "read"),
        ("We will not need shipment 88 any more", "delete"),
        ("Parcel 5512 was delivered", "change"),
        ("Request 12 must be turned down", "change"),
        ("Which parts does picker 31 have right now?", "read"),
    ],
)
def test_what_a_step_asks_is_judged_by_meaning(step: str, kind: str) -> None:
    intent = planner().intent(step)
    assert max(intent, key=intent.__getitem__) == kind


def test_a_whole_name_is_split_into_given_and_family_name_fields() -> None:
    step = "Take on Ines Duarte Silva, badge B-2207"
    assert planned(step, "POST", "/pickers") == {
        "givenName": "Ines",
        "familyName": "Duarte Silva",
        "badge": "B-2207",
    }


def test_the_word_before_a_path_value_names_its_thing_whatever_the_parameters_name() -> None:
    assert planned("Where does driver okafor go today?", "GET", "/drivers/{username}/routes") == {
        "username": "okafor"
    }


def test_a_word_made_from_a_fields_name_introduces_its_value() -> None:
    assert planned("Crates approved by lwong", "GET", "/crates") == {"approver": "lwong"}


def test_a_number_stated_as_a_bound_goes_to_the_min_or_max_field() -> None:
    assert planned("Crates weighing over 40", "GET", "/crates") == {"minWeight": 40}
    assert planned("Crates lighter, under 12.5", "GET", "/crates") == {"maxWeight": 12.5}


def test_a_sentence_of_values_only_completes_the_step_before_it() -> None:
    scenario = "Where did driver okafor go in May? Between 2026-05-01 and 2026-05-31. Then show bin 12"
    steps = split_steps(scenario)
    assert steps == [
        "Where did driver okafor go in May? Between 2026-05-01 and 2026-05-31",
        "show bin 12",
    ]
    assert planned(steps[0], "GET", "/drivers/{username}/routes") == {
        "username": "okafor",
        "from": "2026-05-01",
        "to": "2026-05-31",
    }


def test_a_name_followed_by_what_it_is_goes_to_that_field() -> None:
    assert planned("Take on Ana Reyes for the NIGHT badge", "POST", "/pickers")["badge"] == "NIGHT"


def test_a_dotted_number_is_a_version_not_the_id_of_a_thing() -> None:
    step = "Put 4.0.2 on SC-0031"
    assert planned(step, "PUT", "/scanners/{scannerId}/software") == {
        "scannerId": "SC-0031",
        "version": "4.0.2",
    }


def test_a_step_referring_back_works_on_the_thing_an_earlier_step_made() -> None:
    command = "Receive 12 PART-QQ-4, then show the part"
    session = Session(command, from_openapi(WAREHOUSE), split_steps(command))
    first = next_call(planner(), session)
    assert first is not None
    assert (first[0].method, first[0].path) == ("POST", "/parts")
    session.pending = first
    record(session, ApiResponse(code=201, body={"part": "PART-QQ-4", "quantity": 12}))
    second = next_call(planner(), session)
    assert second is not None
    assert (second[0].path, second[1]["parameters"]) == ("/parts/{part}", {"part": "PART-QQ-4"})


def test_a_field_described_once_is_described_wherever_its_name_appears() -> None:
    # Only the list's ``supplier`` says what a supplier code looks like; the order's body has it too.
    step = "Raise an order PO-2026-118 with SUP-40"
    assert planned(step, "POST", "/orders") == {"supplier": "SUP-40", "reference": "PO-2026-118"}


def test_a_flag_named_by_its_opposite_is_false() -> None:
    assert planned("Which scanners are offline?", "GET", "/scanners") == {"online": False}
    assert planned("List the uncharged scanners", "GET", "/scanners") == {"charged": False}


def test_a_create_whose_required_fields_the_step_leaves_empty_loses(monkeypatch: pytest.MonkeyPatch) -> None:
    step = "Show every order raised with SUP-40"
    assert chosen(step) == "GET /orders"
    monkeypatch.setattr(planner_module, "REQUIRED_WEIGHT", 0.0)
    assert chosen(step) == "POST /orders"


def test_an_id_heading_a_statement_is_about_a_thing_that_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    step = "Vendor SUP-40: the new contact is Mia Berg"
    assert chosen(step) == "PATCH /suppliers/{code}"
    monkeypatch.setattr(planner_module, "_headed_by_id", lambda step, found: False)
    assert chosen(step).startswith("POST ")  # read as taking someone on


def test_a_value_after_the_fields_name_that_starts_a_name_is_the_whole_name() -> None:
    step = "Supplier SUP-40: contact is Mia Berg"
    assert planned(step, "PATCH", "/suppliers/{code}") == {"code": "SUP-40", "contact": "Mia Berg"}


def test_a_name_no_word_places_goes_to_the_query_field_nearest_in_meaning() -> None:
    assert planned("Any suppliers in Portugal?", "GET", "/suppliers") == {"country": "Portugal"}


def test_a_word_the_api_never_uses_named_as_what_to_look_for_is_a_search_word() -> None:
    assert planned("Find gaskets", "GET", "/parts") == {"q": "gaskets"}
    assert planned("Show the copper parts", "GET", "/parts") == {"q": "copper"}
    assert planned("Which parts are there?", "GET", "/parts") == {}


def test_a_lower_case_word_the_api_never_uses_after_a_word_naming_a_field_is_its_value() -> None:
    assert planned("Crates seen by clerk lwong", "GET", "/crates") == {"checker": "lwong"}
    assert planned("Crates the clerk does", "GET", "/crates") == {}


def test_a_steps_verb_naming_the_action_ending_a_path_is_that_action_on_the_thing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory = Memory(values={"palletid": "PAL-7", "id": "PAL-7"}, entity="pallet")
    step = "ship it to the depot"
    found = planner().choose(step, from_openapi(WAREHOUSE), memory)
    assert (found.method, found.path) == ("POST", "/pallets/{palletId}/ship")
    assert planner().inputs(step, found, memory)["parameters"] == {"palletId": "PAL-7"}
    monkeypatch.setattr(planner_module, "_action_named", lambda step, tool: False)
    assert planner().choose(step, from_openapi(WAREHOUSE), memory).method == "GET"


def test_a_word_no_field_names_goes_to_the_one_field_for_a_person(monkeypatch: pytest.MonkeyPatch) -> None:
    assert planned("Which crates did amara check?", "GET", "/crates") == {"checker": "amara"}
    # Not after a determiner or a noun (a thing), nor an inflected word.
    assert planned("Crates waiting for a recount", "GET", "/crates") == {}
    assert planned("Crates heavier than usual", "GET", "/crates") == {}
    assert planned("Crates with rattling", "GET", "/crates") == {}
    assert planned("Crates full of water", "GET", "/crates") == {}
    # Nor right before a value: it names that value's thing.
    assert planned("Crates packed with kit 5521", "GET", "/crates") == {}
    step = "Give dock D4 over to amara"
    assert chosen(step) == "PATCH /docks/{dockId}"
    assert planned(step, "PATCH", "/docks/{dockId}") == {"dockId": "D4", "keeper": "amara"}
    monkeypatch.setattr(Planner, "_username", lambda *args: None)
    assert chosen(step) == "GET /docks/{dockId}"


def test_a_number_goes_to_the_field_its_words_mean_by_another_word(monkeypatch: pytest.MonkeyPatch) -> None:
    step = "Dock D4: the ceiling rises to 450 cm"
    assert chosen(step) == "PATCH /docks/{dockId}"
    assert planned(step, "PATCH", "/docks/{dockId}") == {"dockId": "D4", "height": 450}
    monkeypatch.setattr(Planner, "_field_meant", lambda *args: None)
    assert planned(step, "PATCH", "/docks/{dockId}") == {"dockId": "D4"}


def test_an_optional_enum_value_said_in_other_words_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    assert planned("Which docks are being fixed?", "GET", "/docks") == {"state": "under_repair"}
    assert planned("Which docks are there?", "GET", "/docks") == {}
    monkeypatch.setattr(planner_module, "ENUM_GAP", 1.0)
    assert planned("Which docks are being fixed?", "GET", "/docks") == {}


def test_a_function_word_after_a_fields_name_is_not_its_value() -> None:
    assert (
        planned("Which suppliers in that country have phones?", "GET", "/suppliers").get("country") != "have"
    )


def test_a_word_of_an_enum_is_not_a_search_word() -> None:
    assert planned("Show me all idle forklifts", "GET", "/forklifts") == {"state": "idle"}


def test_a_fields_own_name_in_capitals_names_the_field_not_a_value() -> None:
    assert chosen("Tell me about the forklift with VIN WF0XXTTG1234") == "GET /forklifts/{vin}"


def test_a_quoted_value_after_a_fields_name_is_kept_whole() -> None:
    step = 'Raise a purchase order for SUP-12 with reference "March restock"'
    assert planned(step, "POST", "/orders")["reference"] == "March restock"


def test_a_name_closed_by_a_single_capital_is_one_name() -> None:
    assert [m.value for m in mentions("Meet at Hall B on 2026-09-12") if m.kind == "name"] == ["Hall B"]


def test_a_name_left_over_in_a_write_goes_to_the_body_field_nearest_in_meaning() -> None:
    step = "Supplier SUP-12: the person to call there is Erik Lund"
    assert planned(step, "PATCH", "/suppliers/{code}")["contact"] == "Erik Lund"


def test_what_someone_is_taken_on_as_goes_to_the_field_nearest_in_meaning() -> None:
    assert (
        planned("Take on Ines Duarte as a forklift driver", "POST", "/pickers")["role"] == "forklift driver"
    )


def test_a_word_in_capitals_may_be_the_key_in_a_path() -> None:
    assert planned("Which bins are in the COLD area?", "GET", "/zones/{zoneKey}/bins") == {"zoneKey": "COLD"}
