"""``/v1/scripts/dead-letters`` through both adapters: list, get, retry and discard the events
failing event scripts gave up on; permissions, tenants and bad input.

Every reply is checked against the OpenAPI document by the test client (tests/web/apps.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from esruntime.runtime import Runtime
from tests.web.apps import Client, bank_runtime
from tests.web.letters import TRIGGERS, dead_letters_of, failing_script

LETTERS = "/scripts/dead-letters"


@pytest.fixture
def bank() -> Iterator[tuple[Runtime, dict[str, str]]]:
    runtime, keys = bank_runtime(**TRIGGERS)
    runtime.start()
    yield runtime, keys
    runtime.close()


@pytest.fixture
def runtime(bank: tuple[Runtime, dict[str, str]]) -> Runtime:
    return bank[0]


def test_dead_letters_are_listed_read_retried_and_discarded(
    client: Client, runtime: Runtime
) -> None:
    script = failing_script(runtime, "acme", 3)
    letters = dead_letters_of(runtime, "acme", 3)

    page = client.get(LETTERS).json()
    assert (page["total"], page["offset"], page["limit"]) == (3, 0, 20)
    first = page["dead_letters"][0]
    assert first["id"] == letters[0].id
    assert (first["script_id"], first["event_type"], first["attempts"]) == (
        script.id,
        "order.created",
        4,
    )
    assert re.fullmatch(r"EventScriptFailed: execution \S+ failed: Error: no 0 .*", first["error"])
    assert client.get(f"{LETTERS}/{first['id']}").json() == first
    event = runtime.tenant("acme").store.get(first["event_id"])
    assert event is not None
    assert event.data == {"n": 0}

    window = client.get(f"{LETTERS}?offset=1&limit=1").json()
    assert ([x["id"] for x in window["dead_letters"]], window["total"]) == ([letters[1].id], 3)
    mine = client.get(f"{LETTERS}?script_id={script.id}").json()
    assert mine["total"] == 3
    assert client.get(f"{LETTERS}?script_id=another").json()["total"] == 0

    again = client.post(f"{LETTERS}/{first['id']}/retry").json()
    assert again["execution"]["status"] == "failed"
    assert again["execution"]["trigger"]["eventPayload"] == {"n": 0}
    assert again["execution"]["event_id"] == first["event_id"]  # the run records its event
    assert "eventId" not in again["execution"]["trigger"]  # the trigger is what the script saw
    assert again["execution"]["error"]["message"] == "no 0"
    assert (again["dead_letter"]["id"], again["dead_letter"]["attempts"]) == (first["id"], 5)

    runtime.scripts.update(
        script.id, source="return context.trigger.eventPayload.n + 1;", tenant="acme"
    )
    done = client.post(f"{LETTERS}/{first['id']}/retry").json()
    assert (done["execution"]["status"], done["execution"]["output"]) == ("completed", 1)
    assert done["dead_letter"] is None
    assert client.get(f"{LETTERS}/{first['id']}").error["code"] == "dead_letter_not_found"

    discarded = client.delete(f"{LETTERS}/{letters[1].id}")
    assert discarded.json() == {"id": letters[1].id, "status": "discarded"}
    assert client.delete(f"{LETTERS}/{letters[1].id}").status == 404
    assert client.post(f"{LETTERS}/{letters[1].id}/retry").status == 404
    assert [x["id"] for x in client.get(LETTERS).json()["dead_letters"]] == [letters[2].id]


def test_each_route_needs_its_permission(client: Client, runtime: Runtime) -> None:
    failing_script(runtime, "acme", 2)
    first, second = dead_letters_of(runtime, "acme", 2)
    for key in ("acme:scripts.read", "acme:scripts.execute", "acme:scripts.delete"):
        allowed = key == "acme:scripts.read"
        assert (client.get(LETTERS, key=key).status == 200) is allowed
        assert (client.get(f"{LETTERS}/{first.id}", key=key).status == 200) is allowed
    for key in ("acme:none", "acme:scripts.read", "acme:scripts.delete", "acme:scripts.update"):
        assert client.post(f"{LETTERS}/{first.id}/retry", key=key).status == 403
    for key in ("acme:none", "acme:scripts.read", "acme:scripts.execute"):
        assert client.delete(f"{LETTERS}/{first.id}", key=key).status == 403
    assert client.get(LETTERS, key=None).status == 401
    assert client.post(f"{LETTERS}/{first.id}/retry", key=None).status == 401
    assert client.post(f"{LETTERS}/{first.id}/retry", key="acme:scripts.execute").status == 200
    assert client.delete(f"{LETTERS}/{second.id}", key="acme:scripts.delete").status == 200
    assert runtime.scripts.dead_letters(tenant="acme").total == 1


def test_a_tenant_sees_and_touches_only_its_own_dead_letters(
    client: Client, runtime: Runtime
) -> None:
    failing_script(runtime, "acme", 1)
    (letter,) = dead_letters_of(runtime, "acme", 1)
    assert client.get(LETTERS, key="globex").json()["total"] == 0
    for method, path in (
        ("GET", f"{LETTERS}/{letter.id}"),
        ("POST", f"{LETTERS}/{letter.id}/retry"),
        ("DELETE", f"{LETTERS}/{letter.id}"),
    ):
        reply = client.request(method, path, key="globex")
        assert (reply.status, reply.error["code"]) == (404, "dead_letter_not_found")
    assert runtime.scripts.dead_letter(letter.id, tenant="acme").attempts == 4
    assert runtime.scripts.executions(letter.script_id or "", tenant="acme").total == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
        ("offset=9999999999", "offset"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("script_id=" + "x" * 101, "script_id"),
        ("script_id=%00", "script_id"),
        ("script_id=", "script_id"),
        ("script_id=a%0Ab", "script_id"),
    ],
)
def test_bad_queries_are_400_naming_the_field(client: Client, query: str, field: str) -> None:
    reply = client.get(f"{LETTERS}?{query}")
    assert reply.status == 400, reply.text
    assert field in reply.error["fields"]


@pytest.mark.parametrize(
    "letter_id",
    ["nope", "x" * 5000, quote("\u0000"), quote("é🙂"), quote("a b"), "..%2F..", "%ff"],
)
def test_unknown_or_hostile_ids_are_404(client: Client, runtime: Runtime, letter_id: str) -> None:
    for method, path in (
        ("GET", f"{LETTERS}/{letter_id}"),
        ("POST", f"{LETTERS}/{letter_id}/retry"),
        ("DELETE", f"{LETTERS}/{letter_id}"),
    ):
        reply = client.request(method, path)
        assert reply.status == 404, (method, path, reply.text)


def test_a_body_sent_to_retry_is_ignored(client: Client, runtime: Runtime) -> None:
    failing_script(runtime, "acme", 1)
    (letter,) = dead_letters_of(runtime, "acme", 1)
    reply = client.post(f"{LETTERS}/{letter.id}/retry", content=b"\x00{not json", key="acme")
    assert reply.status == 200
    assert reply.json()["dead_letter"]["attempts"] == 5


def test_retrying_for_a_disabled_script_is_a_conflict(client: Client, runtime: Runtime) -> None:
    script = failing_script(runtime, "acme", 1)
    (letter,) = dead_letters_of(runtime, "acme", 1)
    runtime.scripts.update(script.id, status="disabled", tenant="acme")
    reply = client.post(f"{LETTERS}/{letter.id}/retry")
    assert (reply.status, reply.error["code"]) == (409, "script_not_runnable")
    assert runtime.scripts.dead_letter(letter.id, tenant="acme").attempts == 4


def test_the_dead_letters_path_is_no_script_id(client: Client, runtime: Runtime) -> None:
    created = client.post(
        "/scripts", json_body={"name": "plain", "type": "oneoff", "source": "return 1;"}
    ).json()
    assert client.get(LETTERS).json()["dead_letters"] == []
    assert client.get(f"/scripts/{created['id']}").json()["name"] == "plain"
    for method in ("PUT", "DELETE"):
        reply = client.request(method, LETTERS, json_body={"name": "x"})
        assert reply.status in (404, 405), reply.text
    assert client.get("/scripts").json()["total"] == 1


def test_deleting_the_script_forgets_its_dead_letters(client: Client, runtime: Runtime) -> None:
    script = failing_script(runtime, "acme", 2)
    dead_letters_of(runtime, "acme", 2)
    assert client.delete(f"/scripts/{script.id}").status == 200
    assert client.get(LETTERS).json() == {"dead_letters": [], "total": 0, "offset": 0, "limit": 20}
