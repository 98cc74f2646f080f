"""Value types: event ids, normalization and matching."""

from __future__ import annotations

import time

from ulid import ULID

from esruntime import Event, Query, QueryItem, new_event_id


def test_event_ids_are_ulids_in_time_order() -> None:
    before = time.time()
    ids = [new_event_id() for _ in range(2000)]
    after = time.time()
    assert len(set(ids)) == len(ids)
    for event_id in ids:
        assert event_id.startswith("evt_")
        parsed = ULID.from_str(event_id[4:])
        assert str(parsed) == event_id[4:]
        assert before - 0.001 <= parsed.timestamp <= after + 0.001
    time.sleep(0.002)
    assert max(ids) < new_event_id()


def test_request_and_correlation_ids_are_the_same_ulids_under_their_own_prefix() -> None:
    from esruntime.events import new_id
    from esruntime.web.messages import new_request_id

    before = time.time()
    ids = [new_request_id(), new_request_id({"x-request-id": "not ok!"}), new_id("cor")]
    assert [i[:4] for i in ids] == ["req_", "req_", "cor_"]
    assert len(set(ids)) == 3
    for given in ids:
        assert before - 0.001 <= ULID.from_str(given[4:]).timestamp <= time.time() + 0.001
    assert new_request_id({"x-request-id": "mine-1"}) == "mine-1"


def test_an_event_gets_a_fresh_id_unless_given_one() -> None:
    assert Event("A").id != Event("A").id
    assert Event("A", id="evt_mine").id == "evt_mine"


def test_matching_follows_dcb_rules() -> None:
    event = Event("Subscribed", tags=["course:c1", "student:s1"])
    assert QueryItem().matches(event)
    assert QueryItem(types=["Other", "Subscribed"]).matches(event)
    assert QueryItem(tags=["course:c1", "student:s1"]).matches(event)
    assert not QueryItem(tags=["course:c1", "student:s2"]).matches(event)
    assert not QueryItem(types=["Other"], tags=["course:c1"]).matches(event)
    assert Query().matches(event)
    assert Query([QueryItem(types=["Other"]), QueryItem(tags=["student:s1"])]).matches(event)
    assert not Query([QueryItem(types=["Other"])]).matches(event)


def test_identical_items_collapse_and_order_of_tags_does_not_matter() -> None:
    a = QueryItem(types=["B", "A"], tags=["y:2", "x:1"])
    b = QueryItem(types=["A", "B"], tags=["x:1", "y:2", "x:1"])
    assert a == b
    assert Query([a, b, a]).items == (a,)


def test_ids_do_not_repeat_after_seeding_random_or_forking() -> None:
    import os
    import random

    random.seed(1)
    first = new_event_id()
    random.seed(1)
    assert new_event_id() != first
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, new_event_id().encode())
        os._exit(0)
    parent = new_event_id()
    os.waitpid(pid, 0)
    child = os.read(read, 100).decode()
    os.close(read)
    os.close(write)
    assert child.startswith("evt_")
    assert child[-16:] != parent[-16:]
