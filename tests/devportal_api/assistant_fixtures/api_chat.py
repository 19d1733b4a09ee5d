"""API chat's scenarios: two fixture APIs (a pet store and the pizza shack, as OpenAPI documents)
and 20 scenarios, each step with the operation and parameters it should call and the response the
call answers (fed back to the planner so later steps can reuse returned ids)."""

from __future__ import annotations

import json
from typing import Any


def _op(
    summary: str, *, params: list[dict[str, Any]] | None = None, body: str | None = None
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {"200": {"description": "OK"}}}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}
        }
    return operation


def _path(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _query(name: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": True, "schema": {"type": "string", **schema}}


PETSTORE = {
    "openapi": "3.0.1",
    "info": {"title": "PetStore", "version": "1.0.0"},
    "paths": {
        "/pet": {
            "post": _op("Add a new pet to the store", body="Pet"),
            "put": _op("Update an existing pet", body="Pet"),
        },
        "/pet/findByStatus": {
            "get": _op(
                "Finds pets by status", params=[_query("status", enum=["available", "pending", "sold"])]
            )
        },
        "/pet/findByTags": {"get": _op("Finds pets by tags", params=[_query("tags")])},
        "/pet/{petId}": {
            "get": _op("Find pet by ID", params=[_path("petId", "integer")]),
            "delete": _op("Deletes a pet", params=[_path("petId", "integer")]),
        },
        "/store/inventory": {"get": _op("Returns pet inventories by status")},
        "/store/order": {"post": _op("Place an order for a pet", body="Order")},
        "/store/order/{orderId}": {
            "get": _op("Find purchase order by ID", params=[_path("orderId", "integer")]),
            "delete": _op("Delete purchase order by ID", params=[_path("orderId", "integer")]),
        },
        "/user": {"post": _op("Create user", body="User")},
        "/user/login": {
            "get": _op("Logs user into the system", params=[_query("username"), _query("password")])
        },
        "/user/{username}": {
            "get": _op("Get user by user name", params=[_path("username")]),
            "delete": _op("Delete user", params=[_path("username")]),
        },
    },
    "components": {
        "schemas": {
            "Pet": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "status": {"type": "string", "enum": ["available", "pending", "sold"]},
                },
            },
            "Order": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "petId": {"type": "integer"},
                    "quantity": {"type": "integer"},
                    "status": {"type": "string", "enum": ["placed", "approved", "delivered"]},
                },
            },
            "User": {
                "type": "object",
                "properties": {
                    "username": {"type": "string"},
                    "firstName": {"type": "string"},
                    "lastName": {"type": "string"},
                    "email": {"type": "string"},
                    "password": {"type": "string"},
                },
            },
        }
    },
}

PIZZASHACK = {
    "openapi": "3.0.1",
    "info": {"title": "PizzaShackAPI", "version": "1.0.0"},
    "paths": {
        "/menu": {"get": _op("Return a list of available menu items")},
        "/order": {"post": _op("Create a new Order", body="Order")},
        "/order/{orderId}": {
            "get": _op("Get details of an Order", params=[_path("orderId")]),
            "put": _op("Update an existing Order", params=[_path("orderId")], body="Order"),
            "delete": _op("Delete an existing Order", params=[_path("orderId")]),
        },
    },
    "components": {
        "schemas": {
            "Order": {
                "type": "object",
                "properties": {
                    "pizzaType": {
                        "type": "string",
                        "enum": ["Pepperoni", "Margherita", "Hawaiian", "Veggie"],
                    },
                    "quantity": {"type": "integer"},
                    "customerName": {"type": "string"},
                    "address": {"type": "string"},
                    "delivered": {"type": "boolean"},
                },
            }
        }
    },
}

DEFINITIONS = {"PetStore": json.dumps(PETSTORE), "PizzaShackAPI": json.dumps(PIZZASHACK)}

Step = tuple[str, dict[str, Any], Any]  # ("METHOD /path", expected parameters and body fields, response body)

# (API, scenario, steps)
SCENARIOS: list[tuple[str, str, list[Step]]] = [
    ("PetStore", "Get pet with id 123", [("GET /pet/{petId}", {"petId": 123}, {"id": 123, "name": "Rex"})]),
    ("PetStore", "Find all pets that are sold", [("GET /pet/findByStatus", {"status": "sold"}, [])]),
    (
        "PetStore",
        "Add a new pet named Rex with status available, then get it by its id",
        [
            ("POST /pet", {"name": "Rex", "status": "available"}, {"id": 9001, "name": "Rex"}),
            ("GET /pet/{petId}", {"petId": 9001}, {"id": 9001, "name": "Rex"}),
        ],
    ),
    (
        "PetStore",
        "Create a pet called Milo and then delete it",
        [
            ("POST /pet", {"name": "Milo"}, {"id": 9002, "name": "Milo"}),
            ("DELETE /pet/{petId}", {"petId": 9002}, None),
        ],
    ),
    ("PetStore", "Delete pet 42", [("DELETE /pet/{petId}", {"petId": 42}, None)]),
    ("PetStore", "Show the store inventory", [("GET /store/inventory", {}, {"available": 3, "sold": 1})]),
    (
        "PetStore",
        "Place an order for pet 7 with quantity 2, then fetch the order",
        [
            ("POST /store/order", {"petId": 7, "quantity": 2}, {"id": 501, "petId": 7, "quantity": 2}),
            ("GET /store/order/{orderId}", {"orderId": 501}, {"id": 501, "status": "placed"}),
        ],
    ),
    (
        "PetStore",
        "Look up order 15 and then cancel it",
        [
            ("GET /store/order/{orderId}", {"orderId": 15}, {"id": 15, "status": "placed"}),
            ("DELETE /store/order/{orderId}", {"orderId": 15}, None),
        ],
    ),
    (
        "PetStore",
        "Create a user with username jdoe and email jdoe@example.com, then get the user jdoe",
        [
            ("POST /user", {"username": "jdoe", "email": "jdoe@example.com"}, {"code": 200}),
            ("GET /user/{username}", {"username": "jdoe"}, {"username": "jdoe"}),
        ],
    ),
    (
        "PetStore",
        "Log in as user alice with password secret123",
        [("GET /user/login", {"username": "alice", "password": "secret123"}, {"message": "logged in"})],
    ),
    ("PetStore", "Remove the user bob", [("DELETE /user/{username}", {"username": "bob"}, None)]),
    ("PetStore", "List pets that are pending", [("GET /pet/findByStatus", {"status": "pending"}, [])]),
    ("PetStore", "Update pet 12 to be sold", [("PUT /pet", {"id": 12, "status": "sold"}, {"id": 12})]),
    (
        "PetStore",
        "Add a pet named Luna, mark it as sold, then find sold pets",
        [
            ("POST /pet", {"name": "Luna"}, {"id": 9003, "name": "Luna", "status": "available"}),
            ("PUT /pet", {"id": 9003, "status": "sold"}, {"id": 9003, "status": "sold"}),
            ("GET /pet/findByStatus", {"status": "sold"}, [{"id": 9003}]),
        ],
    ),
    ("PizzaShackAPI", "Show me the menu", [("GET /menu", {}, [{"name": "Pepperoni"}])]),
    (
        "PizzaShackAPI",
        "Order 2 Pepperoni pizzas for John Doe, then get the order",
        [
            (
                "POST /order",
                {"pizzaType": "Pepperoni", "quantity": 2, "customerName": "John Doe"},
                {"orderId": "300ada62", "pizzaType": "Pepperoni"},
            ),
            ("GET /order/{orderId}", {"orderId": "300ada62"}, {"orderId": "300ada62", "delivered": False}),
        ],
    ),
    (
        "PizzaShackAPI",
        "Get the details of order 300ada62",
        [("GET /order/{orderId}", {"orderId": "300ada62"}, {"orderId": "300ada62"})],
    ),
    ("PizzaShackAPI", "Cancel order 77", [("DELETE /order/{orderId}", {"orderId": "77"}, None)]),
    (
        "PizzaShackAPI",
        "Change order 77 to quantity 3",
        [("PUT /order/{orderId}", {"orderId": "77", "quantity": 3}, {"orderId": "77", "quantity": 3})],
    ),
    (
        "PizzaShackAPI",
        "Check the menu, then order one Margherita pizza",
        [
            ("GET /menu", {}, [{"name": "Margherita"}]),
            ("POST /order", {"pizzaType": "Margherita", "quantity": 1}, {"orderId": "a1"}),
        ],
    ),
]
