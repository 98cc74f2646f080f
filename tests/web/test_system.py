"""GET /health, request ids, the error body, unknown routes and methods, store outages."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

import esruntime
from esruntime import InMemoryEventStore
from esruntime.errors import StoreUnavailableError
from esruntime.runtime import Runtime
from tests.web.apps import Client, make_client


def test_health_reports_the_version_and_the_store(client: Client) -> None:
    reply = client.get("/health", key=None)
    assert reply.status == 200
    assert reply.json() == {
        "status": "healthy",
        "version": esruntime.__version__,
        "umadb": "connected",
        "store": "connected",
        "backend": "memory",
    }


class UnreachableStore(InMemoryEventStore):
    """A store whose database has gone away."""

    def head(self) -> int | None:
        raise StoreUnavailableError("could not connect to the database: connection refused")

    def read(self, *args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailableError("could not connect to the database: connection refused")


@pytest.fixture(params=["fastapi", "flask"])
def outage(request: pytest.FixtureRequest) -> Iterator[Client]:
    runtime = Runtime(event_store=UnreachableStore())
    keys = {"acme": runtime.api_keys.create("default", "k", ["admin"]).secret}
    yield make_client(request.param, runtime, keys)
    runtime.close()


def test_health_is_503_when_the_store_does_not_answer(outage: Client) -> None:
    reply = outage.get("/health", key=None)
    assert reply.status == 503
    assert reply.json()["status"] == "unhealthy"
    assert reply.json()["store"] == reply.json()["umadb"] == "unreachable"


def test_a_store_outage_is_503_store_unavailable(outage: Client) -> None:
    reply = outage.post("/events/query", json_body={})
    assert reply.status == 503
    assert reply.error["code"] == "store_unavailable"
    assert "connection refused" in reply.error["message"]


class SummarizedOutage(InMemoryEventStore):
    """A store whose error has details for the log and a summary for callers, as UmaDB's."""

    def read(self, *args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailableError(
            "db.internal:7000: transport error: connection refused",
            summary="the event store does not answer; try again",
        )


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_a_store_outage_answers_the_summary_and_logs_the_details(
    adapter: str, caplog: pytest.LogCaptureFixture
) -> None:
    with Runtime(event_store=SummarizedOutage()) as runtime:
        keys = {"acme": runtime.api_keys.create("default", "k", ["admin"]).secret}
        reply = make_client(adapter, runtime, keys).post("/events/query", json_body={})
    assert reply.status == 503
    assert reply.error["message"] == "the event store does not answer; try again"
    assert "db.internal" not in reply.text
    logged = [r.getMessage() for r in caplog.records if reply.error["request_id"] in r.getMessage()]
    assert any("db.internal:7000: transport error: connection refused" in m for m in logged)


def test_every_response_has_a_request_id_and_errors_repeat_it(client: Client) -> None:
    ok = client.get("/health", key=None)
    assert ok.headers["x-request-id"].startswith("req_")
    error = client.get("/schema", key=None)
    assert error.json()["error"]["request_id"] == error.headers["x-request-id"]
    assert ok.headers["x-request-id"] != error.headers["x-request-id"]


def test_a_clients_request_id_is_kept_when_it_is_a_plain_token(client: Client) -> None:
    given = client.get("/schema", key=None, headers={"X-Request-ID": "trace-42.a:b_c"})
    assert given.headers["x-request-id"] == "trace-42.a:b_c"
    assert given.error["request_id"] == "trace-42.a:b_c"
    for hostile in ("has spaces", "x" * 129, "<script>"):
        reply = client.get("/schema", key=None, headers={"X-Request-ID": hostile})
        assert reply.headers["x-request-id"].startswith("req_")


def test_requests_are_logged_with_their_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="esruntime.web"):
        reply = client.get("/handlers/nothing")
    [record] = [r for r in caplog.records if r.name == "esruntime.web"]
    request_id = reply.headers["x-request-id"]
    assert record.getMessage().endswith(f"-> 404 [{request_id}]")
    assert record.__dict__["request_id"] == request_id
    assert record.__dict__["tenant"] == "acme"
    assert "Bearer" not in record.getMessage()


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/nothing", 404, "No route GET /nothing"),
        ("GET", "/", 404, "No route GET /"),
        ("GET", "/commands/deposit", 405, "GET is not allowed on /commands/deposit; use POST"),
        ("PATCH", "/handlers/count", 405, "use DELETE, GET, PUT"),
        ("POST", "/health", 405, "POST is not allowed on /health; use GET"),
        ("PUT", "/events/query", 405, "PUT is not allowed on /events/query; use POST"),
        ("PUT", "/events/evt_1", 405, "PUT is not allowed on /events/evt_1; use GET"),
        ("HEAD", "/health", 405, None),
        ("OPTIONS", "/schema", 405, None),
    ],
)
def test_unknown_routes_and_methods_get_the_error_body(
    client: Client, method: str, path: str, status: int, message: str | None
) -> None:
    reply = client.request(method, path)
    assert reply.status == status
    if status == 405:
        assert reply.headers["allow"]
    if method != "HEAD":
        assert reply.error["code"] == ("route_not_found" if status == 404 else "method_not_allowed")
        if message is not None:
            assert message in reply.error["message"]


class FailingStore(InMemoryEventStore):
    """A store that answers until its database goes away (``down`` set)."""

    down = False

    def head(self) -> int | None:
        if self.down:
            raise StoreUnavailableError("could not connect to the database: connection refused")
        return super().head()

    def read(self, *args: Any, **kwargs: Any) -> Any:
        if self.down:
            raise StoreUnavailableError("could not connect to the database: connection refused")
        return super().read(*args, **kwargs)


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_health_asks_again_once_a_request_found_the_store_gone(adapter: str) -> None:
    store = FailingStore()
    with Runtime(event_store=store) as runtime:
        keys = {"acme": runtime.api_keys.create("default", "k", ["admin"]).secret}
        client = make_client(adapter, runtime, keys)
        assert client.get("/health", key=None).status == 200  # trusted for a second from now
        store.down = True
        assert client.post("/events/query", json_body={}).status == 503
        reply = client.get("/health", key=None)
    assert (reply.status, reply.json()["store"]) == (503, "unreachable")
