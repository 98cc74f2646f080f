"""POST /events/query and GET /events/{event_id}."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from tests.web.apps import BANK_SCHEMA, ON_EACH_BACKEND, Client

pytestmark = ON_EACH_BACKEND


@pytest.fixture
def history(client: Client) -> Client:
    """Two accounts, a deposit and a transfer: positions 1 to 5 of acme."""
    client.command("open_account", {"account_id": "alice", "owner": "A"})
    client.command("open_account", {"account_id": "bob", "owner": "B"})
    client.command("deposit", {"account_id": "alice", "amount": 80})
    client.command(
        "transfer_funds", {"source_account": "alice", "dest_account": "bob", "amount": 5}
    )
    return client


def query(client: Client, body: Any, path_query: str = "", **options: Any) -> Any:
    return client.post(f"/events/query{path_query}", json_body=body, **options)


def positions(reply: Any) -> list[int]:
    return [e["position"] for e in reply.json()["events"]]


def test_an_empty_query_reads_every_event(history: Client) -> None:
    reply = query(history, {})
    assert reply.status == 200
    body = reply.json()
    assert positions(reply) == [1, 2, 3, 4, 5]
    assert (body["next_position"], body["has_more"]) == (5, False)
    sent = body["events"][3]
    assert sent["type"] == "SentFunds"
    assert sent["domain_ids"] == {"account_id": "alice", "recipient_id": "bob"}
    assert set(sent) == {"id", "type", "data", "domain_ids", "position", "timestamp"}


def test_events_are_selected_by_type_and_domain_ids(history: Client) -> None:
    by_type = query(history, {"event_types": ["SentFunds", "ReceivedFunds"]})
    assert positions(by_type) == [4, 5]
    by_id = query(history, {"domain_ids": {"account_id": ["bob"]}})
    assert positions(by_id) == [2, 5]
    both = query(
        history, {"event_types": ["AccountOpened"], "domain_ids": {"account_id": ["alice", "bob"]}}
    )
    assert positions(both) == [1, 2]
    scalar = query(history, {"domain_ids": {"account_id": "alice", "recipient_id": ["bob"]}})
    assert positions(scalar) == [4]


def test_pages_follow_next_position_until_has_more_is_false(history: Client) -> None:
    first = query(history, {"limit": 2})
    assert (positions(first), first.json()["next_position"], first.json()["has_more"]) == (
        [1, 2],
        2,
        True,
    )
    second = query(history, {"limit": 2, "after_position": 2})
    assert (positions(second), second.json()["has_more"]) == ([3, 4], True)
    last = query(history, {"limit": 2, "after_position": 4})
    assert (positions(last), last.json()["has_more"], last.json()["next_position"]) == (
        [5],
        False,
        5,
    )
    integral = query(history, {"limit": 2.0, "after_position": 2.0})  # JSON: 2.0 is 2
    assert (positions(integral), integral.json()["next_position"]) == ([3, 4], 4)
    beyond = query(history, {"after_position": 99})
    assert (positions(beyond), beyond.json()["next_position"]) == ([], 99)


def shares_positions(client: Client) -> bool:
    """Whether the tenants' events take positions from one sequence (a UmaDB server)."""
    return client.runtime.backend.name == "umadb"


def test_pages_skip_what_other_tenants_appended_in_between(client: Client) -> None:
    for n in range(3):  # acme and globex take turns: on a shared sequence, acme's positions skip
        for tenant in ("acme", "globex"):
            opened = {"account_id": f"{tenant}-{n}", "owner": "x"}
            assert client.command("open_account", opened, key=tenant).status == 200
    every = query(client, {}).json()["events"]
    assert [e["domain_ids"]["account_id"] for e in every] == ["acme-0", "acme-1", "acme-2"]
    mine = [e["position"] for e in every]
    if shares_positions(client):  # globex's events took the positions in between
        assert all(later > earlier + 1 for earlier, later in pairwise(mine))
    else:
        assert mine == [1, 2, 3]
    paged, after, has_more = [], 0, True
    while has_more:
        page = query(client, {"limit": 1, "after_position": after}).json()
        paged += page["events"]
        after, has_more = page["next_position"], page["has_more"]
    assert paged == every
    assert after == every[-1]["position"]
    theirs = query(client, {}, key="globex").json()["events"]
    assert [e["domain_ids"]["account_id"] for e in theirs] == ["globex-0", "globex-1", "globex-2"]
    for event in theirs:  # another tenant's event is no event of acme's
        assert client.get(f"/events/{event['id']}").error["code"] == "event_not_found"
        assert client.get(f"/events/{event['id']}", key="globex").json()["id"] == event["id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"event_type": ["A"]}, "unknown field(s) 'event_type' @ $"),
        ({"limit": 0}, "limit must be between 1 and 1000, got 0"),
        ({"limit": 1001}, "limit must be between 1 and 1000, got 1001"),
        ({"limit": "10"}, "expected integer, got string @ $.limit"),
        ({"limit": True}, "expected integer, got boolean @ $.limit"),
        ({"limit": 2.5}, "expected integer, got number @ $.limit"),
        ({"after_position": -1}, "after_position must be 0 or more, got -1"),
        ({"event_types": "SentFunds"}, "expected array, got string @ $.event_types"),
        ({"event_types": [""]}, "event type ''"),
        ({"domain_ids": ["account_id"]}, "expected object, got array @ $.domain_ids"),
        ({"domain_ids": {"account_id": {"a": 1}}}, "domain_ids.account_id: a domain id value"),
        ({"domain_ids": {"account_id": []}}, "domain_ids.account_id: give at least one value"),
        ({"domain_ids": {"account_id": [None]}}, "domain_ids.account_id: a value may not be null"),
        ({"domain_ids": {"Account": ["a"]}}, "'Account' is not a field name"),
        (
            {"domain_ids": {f"f{i}": [str(n) for n in range(10)] for i in range(4)}},
            "10,000 combinations of values; the limits are at most 100 event_types, 300 "
            "domain_ids fields, 1,000 values per field, 1,000 combinations of values",
        ),
        ([], "the body must be a JSON object, got array"),
    ],
)
def test_a_malformed_query_is_400_saying_what_is_wrong(
    history: Client, body: Any, message: str
) -> None:
    reply = query(history, body)
    assert reply.status == 400
    assert reply.error["code"] == "invalid_request"
    assert message in reply.error["message"]


def test_an_event_by_id_comes_with_its_metadata(history: Client) -> None:
    first = query(history, {"limit": 1}).json()["events"][0]
    reply = history.get(f"/events/{first['id']}")
    assert reply.status == 200
    body = reply.json()
    assert {k: v for k, v in body.items() if k != "metadata"} == first
    assert body["metadata"]["handler"] == "open_account"


@pytest.mark.parametrize("event_id", ["evt_01H8X", "query", "%00", "x" * 300])
def test_an_unknown_event_is_404(client: Client, event_id: str) -> None:
    reply = client.get(f"/events/{event_id}")
    assert reply.status == 404
    assert reply.error["code"] == "event_not_found"


LIMITS = (
    "the limits are at most 100 event_types, 300 domain_ids fields, 1,000 values per field, "
    "1,000 combinations of values and 10,000 terms (combinations x (event_types + fields))"
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"event_types": ["A"] * 25_000}, "event_types lists 25,000 types"),
        ({"event_types": [f"T{i}" for i in range(101)]}, "event_types lists 101 types"),
        (
            {"domain_ids": {f"f{i}": list(range(10)) for i in range(4_400)}},
            "domain_ids names 4,400 fields",
        ),
        ({"domain_ids": {f"f{i}": "v" for i in range(301)}}, "domain_ids names 301 fields"),
        (
            {"domain_ids": {"account_id": list(range(1_001))}},
            "domain_ids.account_id lists 1,001 values",
        ),
        (
            {"domain_ids": {f"f{i}": list(range(1_000)) for i in range(16)}},
            "domain_ids make 1,000,000,000,000,000,000,000,000,000,000,000,000,000,000,000,000 "
            "combinations of values",
        ),
        (
            {"event_types": ["A"] * 10, "domain_ids": {"account_id": list(range(1_000))}},
            "the query makes 1,000 combinations of 10 event_types and 1 fields: 11,000 terms",
        ),
    ],
)
def test_a_query_over_the_limits_is_400_naming_them(
    client: Client, body: Any, message: str
) -> None:
    reply = query(client, body)
    assert reply.status == 400
    assert reply.error["code"] == "invalid_request"
    assert reply.error["message"] == f"{message}; {LIMITS}"


def test_a_query_at_every_limit_at_once_is_answered(history: Client) -> None:
    types = ["SentFunds", *(f"Unknown{i}" for i in range(8))]
    many = ["alice", *(f"a{i}" for i in range(999))]
    wide = query(history, {"event_types": types, "domain_ids": {"account_id": many}})
    assert positions(wide) == [4]  # 1,000 combinations x (9 types + 1 field): 10,000 terms
    fields: dict[str, Any] = {f"f{i}": "x" for i in range(15)}
    deep = {"event_types": types[:4], "domain_ids": {"account_id": many[:500], **fields}}
    assert query(history, deep).json()["events"] == []  # 500 x (4 + 16) = 10,000 terms


WITH_CHANNEL = BANK_SCHEMA.replace(
    "event Deposited {\n", 'event Deposited {\n  channel: String = "unknown"\n'
)


def test_reads_answer_older_events_in_the_current_schema_unless_raw(history: Client) -> None:
    pushed = history.put("/schema", content=WITH_CHANNEL, content_type="text/plain")
    assert pushed.json()["changes"]["modified_events"] == ["Deposited"]
    [deposit] = query(history, {"event_types": ["Deposited"]}).json()["events"]
    assert deposit["data"] == {"account_id": "alice", "amount": 80, "channel": "unknown"}
    by_id = history.get(f"/events/{deposit['id']}").json()
    assert by_id["data"] == deposit["data"]
    [stored] = query(history, {"event_types": ["Deposited"]}, path_query="?raw=true").json()[
        "events"
    ]
    assert stored["data"] == {"account_id": "alice", "amount": 80}
    assert history.get(f"/events/{deposit['id']}?raw=true").json()["data"] == stored["data"]
    assert history.get(f"/events/{deposit['id']}?raw=false").json()["data"] == deposit["data"]
    later = history.command("deposit", {"account_id": "alice", "amount": 1})
    assert later.json()["events"][0]["data"]["channel"] == "unknown"  # as stored from now on


@pytest.mark.parametrize("path", ["/events/query", "/events/evt_x"])
def test_raw_takes_true_or_false(client: Client, path: str) -> None:
    method = "POST" if path == "/events/query" else "GET"
    reply = client.request(method, f"{path}?raw=yes", json_body={} if method == "POST" else None)
    assert (reply.status, reply.error["message"]) == (400, "raw must be true or false, got 'yes'")
