"""The FastAPI adapter's OpenAPI document describes every route as it behaves.

(Every response of the HTTP suite, from either adapter, is also checked against this document:
see ``tests/web/apps.py``.)
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from esruntime.web import API_ROUTES
from tests.web.apps import openapi_document


def operation(route: Any) -> dict[str, Any]:
    document = openapi_document()
    found: dict[str, Any] = document["paths"]["/v1" + route.path][route.method.lower()]
    return found


def test_every_route_is_documented_once_under_its_path_and_method() -> None:
    paths = openapi_document()["paths"]
    documented = {(path, method.upper()) for path, ops in paths.items() for method in ops}
    assert documented == {("/v1" + r.path, r.method) for r in API_ROUTES}
    for route in API_ROUTES:
        found = operation(route)
        assert found["operationId"] == route.name
        assert found["summary"] == route.summary


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name)
def test_path_parameters_are_documented_and_required(route: Any) -> None:
    parameters = {p["name"]: p for p in operation(route).get("parameters", [])}
    for name in ("command_name", "event_id"):
        if "{" + name + "}" in route.path:
            assert parameters[name]["in"] == "path"
            assert parameters[name]["required"] is True


def test_headers_and_query_parameters_are_documented() -> None:
    by_name = {r.name: r for r in API_ROUTES}
    command = {p["name"]: p for p in operation(by_name["execute_command"])["parameters"]}
    assert command["X-Idempotency-Key"]["in"] == "header"
    assert command["X-Idempotency-Key"]["required"] is False
    upload = {p["name"]: p for p in operation(by_name["put_handler"])["parameters"]}
    assert upload["X-Handler-Version"] == {
        "name": "X-Handler-Version",
        "in": "header",
        "required": True,
        "description": "The semantic version of the module (1.2.0), at most 64 characters.",
        "schema": {"type": "string", "maxLength": 64},
    }
    for name in ("put_schema", "validate_schema"):
        [force] = operation(by_name[name])["parameters"]
        assert (force["name"], force["in"], force["schema"]["type"]) == (
            "force",
            "query",
            "boolean",
        )
    for name in ("query_events", "get_event"):
        raw = next(p for p in operation(by_name[name])["parameters"] if p["name"] == "raw")
        assert (raw["in"], raw["required"], raw["schema"]) == (
            "query",
            False,
            {"type": "boolean", "default": False},
        )
        assert "as stored" in raw["description"]
    retries = operation(by_name["execute_command"])["responses"]["200"]["headers"]
    assert set(retries) == {"X-Request-ID", "X-Retry-Count"}


@pytest.mark.parametrize(
    ("name", "media"),
    [
        ("execute_command", "application/json"),
        ("put_schema", "text/plain"),
        ("validate_schema", "text/plain"),
        ("put_handler", "application/wasm"),
        ("put_current_version", "application/json"),
        ("query_events", "application/json"),
    ],
)
def test_request_bodies_name_their_media_type(name: str, media: str) -> None:
    route = next(r for r in API_ROUTES if r.name == name)
    body = operation(route)["requestBody"]
    assert body["required"] is True
    assert list(body["content"]) == [media]


def test_routes_without_a_body_document_none() -> None:
    for route in API_ROUTES:
        assert ("requestBody" in operation(route)) == (route.body != "none"), route.name


@pytest.mark.parametrize(
    ("name", "statuses"),
    [
        ("execute_command", {200, 400, 401, 403, 404, 409, 413, 422, 500, 503}),
        ("get_schema", {200, 400, 401, 403, 404, 500, 503}),
        ("put_schema", {200, 400, 401, 403, 413, 422, 500, 503}),
        ("put_handler", {200, 400, 401, 403, 413, 422, 500, 503}),
        ("delete_handler", {200, 400, 401, 403, 404, 409, 500, 503}),
        ("put_current_version", {200, 400, 401, 403, 404, 409, 413, 422, 500, 503}),
        ("query_events", {200, 400, 401, 403, 413, 500, 503}),
        ("health", {200, 400, 500, 503}),
        ("metrics", {200, 400, 401, 403, 500, 503}),
    ],
)
def test_every_status_a_route_gives_is_documented(name: str, statuses: set[int]) -> None:
    route = next(r for r in API_ROUTES if r.name == name)
    assert {int(s) for s in operation(route)["responses"]} == statuses


def test_protected_routes_document_bearer_auth_and_health_does_not() -> None:
    document = openapi_document()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for route in API_ROUTES:
        security = operation(route).get("security")
        assert (security == [{"HTTPBearer": []}]) == (route.permission is not None), route.name


def test_every_documented_schema_is_valid_json_schema() -> None:
    for route in API_ROUTES:
        found = operation(route)
        for response in found["responses"].values():
            for content in response["content"].values():
                jsonschema_rs.validator_for(content["schema"])  # raises when invalid
        for parameter in found.get("parameters", []):
            jsonschema_rs.validator_for(parameter["schema"])


def test_the_example_bodies_of_the_spec_match_the_documented_schemas() -> None:
    by_name = {r.name: r for r in API_ROUTES}
    command = operation(by_name["execute_command"])["responses"]
    jsonschema_rs.validate(
        command["422"]["content"]["application/json"]["schema"],
        {"status": "rejected", "code": "insufficient_funds", "message": "Insufficient funds"},
    )
    jsonschema_rs.validate(
        command["409"]["content"]["application/json"]["schema"],
        {"status": "conflict", "message": "Concurrent modification detected, please retry"},
    )
    query = operation(by_name["query_events"])["requestBody"]["content"]["application/json"]
    jsonschema_rs.validate(
        query["schema"],
        {
            "event_types": ["SentFunds", "ReceivedFunds"],
            "domain_ids": {"account_id": ["alice", "bob"]},
            "after_position": 0,
            "limit": 100,
        },
    )
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validate(query["schema"], {"limit": 0})


def test_the_event_query_documents_its_limits() -> None:
    query = {r.name: r for r in API_ROUTES}["query_events"]
    schema = operation(query)["requestBody"]["content"]["application/json"]["schema"]
    properties = schema["properties"]
    assert properties["event_types"]["maxItems"] == 100
    assert properties["domain_ids"]["maxProperties"] == 300
    [_, values] = properties["domain_ids"]["additionalProperties"]["anyOf"]
    assert values["maxItems"] == 1000
    assert "1,000 combinations" in properties["domain_ids"]["description"]
