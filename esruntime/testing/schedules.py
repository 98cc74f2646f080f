"""The schedule store contract: one suite that every backend passes (needs pytest).

Subclass :class:`ScheduleStoreContract` and provide a ``store`` fixture returning an empty
:class:`~esruntime.protocols.schedules.ScheduleStore`.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone
from functools import partial
from typing import Any

from esruntime.errors import ConfigurationError, InvalidQueryError
from esruntime.protocols.schedules import ScheduleState, ScheduleStore
from esruntime.testing.refusals import assert_refused

__all__ = ["ScheduleStoreContract"]

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
LEASE = timedelta(seconds=30)
BAD_TENANTS: list[Any] = ["", "x" * 201, "a\x00b", "line\nbreak", "\ud800", 7, None]
BAD_SCRIPT_IDS: list[Any] = ["", "x" * 37, "a\x00b", "a\tb", "\ud800", 7, None, b"s1"]
BAD_OWNERS: list[Any] = ["", "x" * 201, "a\x00b", "line\nbreak", 7, None]
BAD_SCHEDULES: list[Any] = ["x" * 301, "a\nb", "a\x00b", "\ud800", 7, None]
NO_TIME: Any = None
BAD_MOMENTS: list[Any] = [datetime(2026, 5, 1, 12), date(2026, 5, 1), "2026-05-01T12:00Z", 0]
"""Naive datetimes, dates, strings, numbers: none is an instant."""


def _leased(store: ScheduleStore) -> ScheduleState:
    """A store with one row, ``s1``, claimed by ``p1``: what a refusal must leave alone."""
    store.reset("acme", "s1", "a", T0)
    store.claim(T0, "p1", T0 + LEASE, limit=10)
    [row] = store.states()
    return row


class ScheduleStoreContract:
    """What the scheduler relies on: rows, atomic claims, leases that lapse."""

    def test_a_reset_row_reads_back(self, store: ScheduleStore) -> None:
        store.reset("acme", "s1", "@daily\tUTC", T0)
        [row] = store.states()
        assert (row.tenant, row.script_id, row.schedule, row.next_due) == (
            "acme",
            "s1",
            "@daily\tUTC",
            T0,
        )
        assert (row.lease_owner, row.running_tick, row.last_tick) == (None, None, None)

    def test_reset_changes_a_row_only_for_another_schedule(self, store: ScheduleStore) -> None:
        store.reset("acme", "s1", "@daily\tUTC", T0)
        store.reset("acme", "s1", "@daily\tUTC", T0 + MINUTE)
        assert store.states()[0].next_due == T0
        store.reset("acme", "s1", "", None)
        assert (store.states()[0].schedule, store.states()[0].next_due) == ("", None)
        store.reset("acme", "s1", "@hourly\tUTC", T0 + MINUTE)
        assert store.states()[0].next_due == T0 + MINUTE

    def test_reset_all_resets_many_rows_at_once(self, store: ScheduleStore) -> None:
        store.reset("acme", "s0", "a", T0)
        store.reset_all(
            [("acme", "s0", "b", T0 + MINUTE), ("acme", "s1", "a", T0), ("globex", "s2", "", None)]
        )
        store.reset_all([])
        rows = sorted((r.tenant, r.script_id, r.schedule, r.next_due) for r in store.states())
        assert rows == [
            ("acme", "s0", "b", T0 + MINUTE),
            ("acme", "s1", "a", T0),
            ("globex", "s2", "", None),
        ]

    def test_only_due_rows_are_claimed(self, store: ScheduleStore) -> None:
        store.reset("acme", "due", "a", T0)
        store.reset("acme", "later", "a", T0 + MINUTE)
        store.reset("acme", "off", "", None)
        claimed = store.claim(T0, "p1", T0 + LEASE, limit=10)
        assert [row.script_id for row in claimed] == ["due"]
        assert claimed[0].lease_owner is None  # as it was before the claim
        [row] = [r for r in store.states() if r.script_id == "due"]
        assert (row.lease_owner, row.lease_expires, row.claimed_at, row.running_tick) == (
            "p1",
            T0 + LEASE,
            T0,
            T0,
        )

    def test_a_leased_row_is_not_claimed_again_until_the_lease_lapses(
        self, store: ScheduleStore
    ) -> None:
        store.reset("acme", "s1", "a", T0)
        assert len(store.claim(T0, "p1", T0 + LEASE, limit=10)) == 1
        assert store.claim(T0 + LEASE, "p2", T0 + 2 * LEASE, limit=10) == []
        later = T0 + LEASE + timedelta(seconds=1)
        [taken] = store.claim(later, "p2", later + LEASE, limit=10)
        assert (taken.lease_owner, taken.running_tick, taken.claimed_at) == ("p1", T0, T0)
        [row] = store.states()
        assert (row.lease_owner, row.running_tick, row.claimed_at) == ("p2", T0, later)

    def test_renewal_keeps_the_lease_of_its_owner_only(self, store: ScheduleStore) -> None:
        store.reset("acme", "s1", "a", T0)
        store.claim(T0, "p1", T0 + LEASE, limit=10)
        assert store.renew("p2", ["s1"], T0 + 10 * LEASE) == set()
        assert store.renew("p1", ["s1", "missing"], T0 + 3 * LEASE) == {"s1"}
        assert store.claim(T0 + 2 * LEASE, "p2", T0 + 4 * LEASE, limit=10) == []
        assert store.renew("p1", [], T0) == set()

    def test_finishing_releases_the_row_with_its_next_due_time(self, store: ScheduleStore) -> None:
        store.reset("acme", "s1", "a", T0)
        store.claim(T0, "p1", T0 + LEASE, limit=10)
        assert not store.finish("s1", "p2", schedule="a", next_due=T0 + MINUTE, tick=T0)
        assert store.finish("s1", "p1", schedule="a", next_due=T0 + MINUTE, tick=T0)
        [row] = store.states()
        assert (row.next_due, row.last_tick, row.lease_owner, row.running_tick) == (
            T0 + MINUTE,
            T0,
            None,
            None,
        )
        assert not store.finish("s1", "p1", schedule="a", next_due=T0 + MINUTE, tick=T0)

    def test_a_row_reset_during_a_run_keeps_its_new_due_time(self, store: ScheduleStore) -> None:
        store.reset("acme", "s1", "a", T0)
        store.claim(T0, "p1", T0 + LEASE, limit=10)
        store.reset("acme", "s1", "b", T0 + 5 * MINUTE)
        assert store.finish("s1", "p1", schedule="a", next_due=T0 + MINUTE, tick=T0)
        [row] = store.states()
        assert (row.schedule, row.next_due, row.lease_owner) == ("b", T0 + 5 * MINUTE, None)
        store.claim(T0 + 5 * MINUTE, "p1", T0 + 5 * MINUTE + LEASE, limit=10)
        assert store.finish("s1", "p1", schedule="b", next_due=T0 + 6 * MINUTE, tick=None)
        assert store.states()[0].last_tick == T0

    def test_claims_respect_the_limit_oldest_first(self, store: ScheduleStore) -> None:
        for index in range(5):
            store.reset("acme", f"s{index}", "a", T0 - index * MINUTE)
        claimed = store.claim(T0, "p1", T0 + LEASE, limit=2)
        assert [row.script_id for row in claimed] == ["s4", "s3"]

    def test_removed_rows_are_gone(self, store: ScheduleStore) -> None:
        store.reset("acme", "s1", "a", T0)
        store.reset("globex", "s2", "a", T0)
        store.remove(["s1", "missing"])
        store.remove([])
        assert [(row.tenant, row.script_id) for row in store.states()] == [("globex", "s2")]

    def test_concurrent_claims_give_each_row_to_one_owner(self, store: ScheduleStore) -> None:
        rows = 20
        for index in range(rows):
            store.reset("acme", f"s{index:02}", "a", T0)
        claimed: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(4)

        def claim(owner: str) -> None:
            barrier.wait()
            for _ in range(10):
                found = store.claim(T0, owner, T0 + LEASE, limit=3)
                with lock:
                    claimed.extend(row.script_id for row in found)

        threads = [threading.Thread(target=claim, args=(f"p{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(claimed) == [f"s{index:02}" for index in range(rows)]

    def test_aware_datetimes_of_any_offset_are_instants(self, store: ScheduleStore) -> None:
        paris = timezone(timedelta(hours=2))
        store.reset("acme", "s1", "a", T0.astimezone(paris))
        [row] = store.states()
        assert row.next_due == T0
        [claimed] = store.claim(T0.astimezone(paris), "p1", (T0 + LEASE).astimezone(paris), limit=1)
        assert claimed.script_id == "s1"

    def test_a_bad_tenant_is_refused_and_nothing_is_written(self, store: ScheduleStore) -> None:
        for tenant in BAD_TENANTS:
            assert_refused(
                ConfigurationError,
                "tenant name",
                tenant,
                reset=partial(store.reset, tenant, "s1", "a", T0),
                reset_all=partial(
                    store.reset_all, [("acme", "s0", "a", T0), (tenant, "s1", "a", T0)]
                ),
            )
        assert store.states() == []

    def test_a_bad_script_id_is_refused_and_nothing_changes(self, store: ScheduleStore) -> None:
        row = _leased(store)
        for script_id in BAD_SCRIPT_IDS:
            assert_refused(
                InvalidQueryError,
                "script_id",
                script_id,
                reset=partial(store.reset, "acme", script_id, "b", T0),
                reset_all=partial(
                    store.reset_all, [("acme", "s2", "a", T0), ("acme", script_id, "a", T0)]
                ),
                finish=partial(
                    store.finish, script_id, "p1", schedule="a", next_due=T0 + MINUTE, tick=T0
                ),
            )
            assert_refused(
                InvalidQueryError,
                "script_ids",
                script_id,
                remove=partial(store.remove, ["s1", script_id]),
                renew=partial(store.renew, "p1", ["s1", script_id], T0 + 2 * LEASE),
            )
        assert store.states() == [row]

    def test_ids_given_as_one_string_are_refused(self, store: ScheduleStore) -> None:
        row = _leased(store)
        assert_refused(
            InvalidQueryError,
            "script_ids",
            "s1",
            remove=partial(store.remove, "s1"),
            renew=partial(store.renew, "p1", "s1", T0 + 2 * LEASE),
        )
        assert store.states() == [row]

    def test_a_bad_schedule_is_refused_and_nothing_changes(self, store: ScheduleStore) -> None:
        row = _leased(store)
        for schedule in BAD_SCHEDULES:
            assert_refused(
                InvalidQueryError,
                "schedule",
                schedule,
                reset=partial(store.reset, "acme", "s1", schedule, T0),
                reset_all=partial(store.reset_all, [("acme", "s2", schedule, T0)]),
                finish=partial(
                    store.finish, "s1", "p1", schedule=schedule, next_due=T0 + MINUTE, tick=T0
                ),
            )
        assert store.states() == [row]

    def test_a_bad_owner_is_refused_and_nothing_changes(self, store: ScheduleStore) -> None:
        row = _leased(store)
        store.reset("acme", "s2", "a", T0)
        for owner in BAD_OWNERS:
            assert_refused(
                InvalidQueryError,
                "owner",
                owner,
                claim=partial(store.claim, T0, owner, T0 + LEASE, limit=10),
                renew=partial(store.renew, owner, ["s1"], T0 + 2 * LEASE),
                finish=partial(
                    store.finish, "s1", owner, schedule="a", next_due=T0 + MINUTE, tick=T0
                ),
            )
        assert sorted(store.states(), key=lambda r: r.script_id)[0] == row
        assert [r.lease_owner for r in store.states() if r.script_id == "s2"] == [None]

    def test_a_time_that_is_no_instant_is_refused_and_nothing_changes(
        self, store: ScheduleStore
    ) -> None:
        row = _leased(store)
        for moment in BAD_MOMENTS:
            assert_refused(
                InvalidQueryError,
                "next_due",
                moment,
                reset=partial(store.reset, "acme", "s2", "a", moment),
                reset_all=partial(store.reset_all, [("acme", "s2", "a", moment)]),
                finish=partial(store.finish, "s1", "p1", schedule="a", next_due=moment, tick=T0),
            )
            assert_refused(
                InvalidQueryError,
                "now",
                moment,
                claim=partial(store.claim, moment, "p2", T0 + LEASE, limit=10),
            )
            assert_refused(
                InvalidQueryError,
                "lease_until",
                moment,
                claim=partial(store.claim, T0, "p2", moment, limit=10),
                renew=partial(store.renew, "p1", ["s1"], moment),
            )
            assert_refused(
                InvalidQueryError,
                "tick",
                moment,
                finish=partial(
                    store.finish, "s1", "p1", schedule="a", next_due=T0 + MINUTE, tick=moment
                ),
            )
        assert_refused(
            InvalidQueryError,
            "next_due",
            None,
            finish=partial(store.finish, "s1", "p1", schedule="a", next_due=NO_TIME, tick=T0),
        )
        assert store.states() == [row]

    def test_a_lease_that_ends_before_it_starts_is_refused(self, store: ScheduleStore) -> None:
        store.reset("acme", "s1", "a", T0)
        for until in (T0, T0 - LEASE):
            assert_refused(
                InvalidQueryError,
                "lease_until",
                until,
                claim=partial(store.claim, T0, "p1", until, limit=10),
            )
        assert [row.lease_owner for row in store.states()] == [None]

    def test_a_bad_limit_is_refused(self, store: ScheduleStore) -> None:
        store.reset("acme", "s1", "a", T0)
        limits: list[Any] = [0, -1, 2**63, 2.5, True, "10", None]
        for limit in limits:
            assert_refused(
                InvalidQueryError,
                "limit",
                limit,
                claim=partial(store.claim, T0, "p1", T0 + LEASE, limit=limit),
            )
        assert [row.lease_owner for row in store.states()] == [None]

    def test_a_malformed_change_is_refused_before_any_is_written(
        self, store: ScheduleStore
    ) -> None:
        changes: list[Any] = [("acme", "s1", "a"), ("acme", "s1", "a", T0, "extra"), "abcd", None]
        for change in changes:
            assert_refused(
                InvalidQueryError,
                "change",
                change,
                reset_all=partial(store.reset_all, [("acme", "s0", "a", T0), change]),
            )
        text: Any = "abcd"
        assert_refused(InvalidQueryError, "changes", text, reset_all=partial(store.reset_all, text))
        assert store.states() == []
