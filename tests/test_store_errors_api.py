"""Wide queries and permanent store errors as the HTTP API and the script SDK report them.

A query of many domain-id fields is one query item of many tags: it must be answered on every
backend. A request the database can never run is the caller's 400 ``store_query_error``, not a
503 ``store_unavailable`` that invites a retry; the script SDK does not say "try again" either.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest
import sqlalchemy

from esruntime import Event, SqlEventStore
from esruntime.backends.sql import SqlBackend, create_store_engine
from esruntime.errors import SdkError, StoreQueryError
from esruntime.runtime import Runtime
from esruntime.scripts.sdk.events import EventPublisher
from esruntime.web.errors import failure_response
from esruntime.web.messages import WebRequest
from tests.web.apps import Client, make_client


def sqlite_engine_with_limit(url: str, limit: int, value: int) -> sqlalchemy.Engine:
    """A host's SQLite engine whose connections have one of SQLite's limits lowered."""
    engine = sqlalchemy.create_engine(url)

    @sqlalchemy.event.listens_for(engine, "connect")
    def lower_limit(dbapi_connection: sqlite3.Connection, _: object) -> None:
        dbapi_connection.setlimit(limit, value)

    return engine


def client_of(runtime: Runtime, adapter: str) -> Client:
    key = runtime.api_keys.create("acme", "reader", ["events.read"]).secret
    return make_client(adapter, runtime, {"acme": key})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runtime(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Runtime]:
    if request.param == "sqlite":
        runtime = Runtime.from_url(sqlite_url)
    else:
        runtime = Runtime(backend=SqlBackend(request.getfixturevalue("postgres_engine")))
    yield runtime
    runtime.close()


@pytest.mark.parametrize("fields", [65, 300])
@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_a_query_of_many_domain_id_fields_is_answered(
    runtime: Runtime, adapter: str, fields: int
) -> None:
    # One query item of `fields` tags: SQLite used to refuse more than 64 (HTTP 503).
    slots = {f"slot_{n:03}": "2026-12-07" for n in range(fields)}
    tags = [f"{name}:{value}" for name, value in slots.items()]
    store = runtime.tenant("acme").store
    store.append(
        [
            Event("Booked", {"n": 1}, tags),
            Event("Booked", {"n": 2}, tags[1:]),
            Event("Held", {"n": 3}, tags),
        ]
    )
    client = client_of(runtime, adapter)
    reply = client.post("/events/query", json_body={"domain_ids": slots})
    assert reply.status == 200, reply.body
    assert [e["data"]["n"] for e in reply.json()["events"]] == [1, 3]
    booked = {"domain_ids": slots, "event_types": ["Booked"], "limit": 1}
    reply = client.post("/events/query", json_body=booked)
    assert reply.status == 200, reply.body
    assert [e["data"]["n"] for e in reply.json()["events"]] == [1]
    assert reply.json()["has_more"] is False


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_a_query_the_database_can_never_run_is_a_400(sqlite_url: str, adapter: str) -> None:
    # A SQLite built to take at most 60 variables per statement: a query of 30 items needs more.
    engine = sqlite_engine_with_limit(sqlite_url, sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 60)
    runtime = Runtime(backend=SqlBackend(engine))
    runtime.tenant("acme").store.append(Event("Opened", {}, ["account_id:a1"]))
    client = client_of(runtime, adapter)
    accounts = [f"a{n}" for n in range(30)]
    reply = client.post("/events/query", json_body={"domain_ids": {"account_id": accounts}})
    assert reply.status == 400, reply.body
    error = reply.json()["error"]
    assert error["code"] == "store_query_error"
    assert "too many SQL variables" in error["message"]
    # The store is not unavailable: a query it can run is answered.
    reply = client.post("/events/query", json_body={"domain_ids": {"account_id": "a1"}})
    assert reply.status == 200
    assert len(reply.json()["events"]) == 1
    runtime.close()
    engine.dispose()


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_a_locked_database_is_a_503_that_names_no_file_or_statement(
    tmp_path: object, adapter: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = f"{tmp_path}/locked.db"
    engine = create_store_engine(f"sqlite:///{path}", sqlite_busy_timeout=0.1)
    runtime = Runtime(backend=SqlBackend(engine))
    key = runtime.api_keys.create("acme", "writer", ["admin"]).secret
    client = make_client(adapter, runtime, {"acme": key})
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")
        reply = client.post(
            "/scripts", json_body={"name": "hello", "type": "oneoff", "source": "return 1"}
        )
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert reply.status == 503, reply.body
    error = reply.json()["error"]
    assert error["code"] == "store_unavailable"
    assert error["message"] == "the SQLite database is busy or unavailable; try again"
    # The details are in the server's log, under the request id.
    assert any(
        "locked" in record.getMessage() and error["request_id"] in record.getMessage()
        for record in caplog.records
    )
    runtime.close()
    engine.dispose()


def test_a_refused_statement_is_reported_by_its_first_line_only() -> None:
    # PostgreSQL's errors go on to quote the statement (LINE 1: ...): that stays in the log.
    refused = StoreQueryError(
        'PostgreSQL [22P02]: invalid input syntax for type integer: "x"\n'
        "LINE 1: SELECT position FROM esr_events WHERE ...\n               ^"
    )
    response = failure_response(refused, WebRequest("POST", "events.query"), "req-1")
    assert response.status == 400
    error = json.loads(response.body)["error"]
    assert error == {
        "code": "store_query_error",
        "message": "the event store cannot run this request: PostgreSQL [22P02]: invalid input "
        'syntax for type integer: "x"',
        "request_id": "req-1",
    }


def test_a_script_is_not_told_to_retry_what_the_store_never_takes(sqlite_url: str) -> None:
    engine = sqlite_engine_with_limit(sqlite_url, sqlite3.SQLITE_LIMIT_LENGTH, 20_000)
    store = SqlEventStore(engine)
    publisher = EventPublisher(lambda: store, lambda: None, {"script": "s1"})
    assert publisher.publish(["order.noted", {"text": "short"}]) is True
    with pytest.raises(SdkError) as raised:
        publisher.publish(["order.noted", {"text": "x" * 30_000}])
    message = str(raised.value)
    assert message.startswith("events.publish: the event store cannot store the event")
    assert "too big" in message
    assert "try again" not in message
    assert [e.data["text"] for e in store.read()] == ["short"]
    store.close()
    engine.dispose()
