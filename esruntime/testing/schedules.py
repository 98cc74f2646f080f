"""The schedule store contract: one suite that every backend passes (needs pytest).

Subclass :class:`ScheduleStoreContract` and provide a ``store`` fixture returning an empty
:class:`~esruntime.protocols.schedules.ScheduleStore`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from esruntime.protocols.schedules import ScheduleStore

__all__ = ["ScheduleStoreContract"]

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
LEASE = timedelta(seconds=30)


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
        store.claim(T0 + 5 * MINUTE, "p1", T0 + LEASE, limit=10)
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
