"""The consumer store contract: one suite that every backend passes (needs pytest).

Subclass :class:`ConsumerStoreContract` and provide a ``consumers`` fixture returning an empty
:class:`~esruntime.protocols.consumers.ConsumerStore`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from attrs import evolve

from esruntime.protocols.consumers import ConsumerStore, DeadLetter, new_dead_letter

__all__ = ["ConsumerStoreContract"]

TTL = 30.0


def _letter(position: int, consumer: str = "script:s1", tenant: str = "acme") -> DeadLetter:
    return new_dead_letter(
        tenant,
        consumer,
        event_id=f"evt-{position}",
        event_type="order.created",
        position=position,
        attempts=4,
        error="Error: boom",
    )


def _until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    """Poll ``condition`` until it holds, for at most ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


class ConsumerStoreContract:
    """Checkpoints, leases and dead letters as every :class:`ConsumerStore` keeps them."""

    def test_a_new_consumer_starts_where_it_is_told_and_keeps_its_place(
        self, consumers: ConsumerStore
    ) -> None:
        assert consumers.checkpoint("acme", "c") is None
        assert consumers.ensure("acme", "c", 7) == 7
        assert consumers.ensure("acme", "c", 99) == 7
        assert consumers.checkpoint("acme", "c") == 7
        assert consumers.checkpoint("other", "c") is None

    def test_one_owner_holds_a_lease_at_a_time(self, consumers: ConsumerStore) -> None:
        assert consumers.acquire("acme", "c", "p1", ttl=TTL, start=3) == 3
        assert consumers.acquire("acme", "c", "p2", ttl=TTL, start=0) is None
        assert consumers.acquire("acme", "c", "p1", ttl=TTL, start=0) == 3  # a renewal
        assert consumers.renew("acme", "c", "p1", ttl=TTL)
        assert not consumers.renew("acme", "c", "p2", ttl=TTL)
        assert consumers.acquire("acme", "other", "p2", ttl=TTL, start=0) == 0
        assert consumers.acquire("beta", "c", "p2", ttl=TTL, start=0) == 0

    def test_a_released_lease_is_free_at_once(self, consumers: ConsumerStore) -> None:
        consumers.acquire("acme", "c", "p1", ttl=TTL, start=0)
        consumers.release("acme", "c", "p2")  # not p2's: nothing happens
        assert consumers.acquire("acme", "c", "p2", ttl=TTL, start=0) is None
        consumers.release("acme", "c", "p1")
        assert consumers.acquire("acme", "c", "p2", ttl=TTL, start=0) == 0

    def test_a_lapsed_lease_is_taken_over_and_the_old_owner_can_no_longer_advance(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.acquire("acme", "c", "p1", ttl=0.0, start=0)
        _until(lambda: consumers.acquire("acme", "c", "p2", ttl=TTL, start=0) == 0)
        assert not consumers.advance("acme", "c", "p1", 5, dead_letter=_letter(5))
        assert consumers.checkpoint("acme", "c") == 0
        assert consumers.dead_letters("acme") == ([], 0)
        assert not consumers.renew("acme", "c", "p1", ttl=TTL)
        assert consumers.advance("acme", "c", "p2", 5)
        assert consumers.checkpoint("acme", "c") == 5

    def test_the_checkpoint_only_moves_forward(self, consumers: ConsumerStore) -> None:
        consumers.acquire("acme", "c", "p1", ttl=TTL, start=10)
        assert consumers.advance("acme", "c", "p1", 12)
        assert consumers.advance("acme", "c", "p1", 11)
        assert consumers.checkpoint("acme", "c") == 12

    def test_a_dead_letter_is_kept_with_the_checkpoint_that_passes_it(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.acquire("acme", "script:s1", "p1", ttl=TTL, start=0)
        letter = _letter(4)
        assert consumers.advance("acme", "script:s1", "p1", 4, dead_letter=letter)
        assert consumers.checkpoint("acme", "script:s1") == 4
        stored = consumers.get_dead_letter("acme", letter.id)
        assert stored == letter
        assert stored is not None
        assert stored.script_id == "s1"
        assert consumers.get_dead_letter("beta", letter.id) is None

    def test_dead_letters_are_listed_by_position_per_consumer_and_tenant(
        self, consumers: ConsumerStore
    ) -> None:
        for name in ("script:s1", "script:s2"):
            consumers.acquire("acme", name, "p1", ttl=TTL, start=0)
        consumers.acquire("beta", "script:s1", "p1", ttl=TTL, start=0)
        for position in (3, 1, 2):
            consumers.advance("acme", "script:s1", "p1", position, dead_letter=_letter(position))
        consumers.advance("acme", "script:s2", "p1", 5, dead_letter=_letter(5, "script:s2"))
        consumers.advance("beta", "script:s1", "p1", 9, dead_letter=_letter(9, tenant="beta"))
        items, total = consumers.dead_letters("acme")
        assert ([x.position for x in items], total) == ([1, 2, 3, 5], 4)
        items, total = consumers.dead_letters("acme", consumer="script:s1", offset=1, limit=1)
        assert ([x.position for x in items], total) == ([2], 3)
        assert [x.position for x in consumers.dead_letters("beta")[0]] == [9]

    def test_a_dead_letter_is_updated_and_removed(self, consumers: ConsumerStore) -> None:
        consumers.acquire("acme", "script:s1", "p1", ttl=TTL, start=0)
        letter = _letter(1)
        consumers.advance("acme", "script:s1", "p1", 1, dead_letter=letter)
        again = evolve(letter, attempts=5, error="Error: still")
        assert consumers.save_dead_letter(again)
        assert consumers.get_dead_letter("acme", letter.id) == again
        assert not consumers.remove_dead_letter("beta", letter.id)
        assert consumers.remove_dead_letter("acme", letter.id)
        assert not consumers.remove_dead_letter("acme", letter.id)
        assert not consumers.save_dead_letter(again)
        assert consumers.dead_letters("acme") == ([], 0)

    def test_deleting_a_consumer_forgets_its_place_and_its_dead_letters(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.acquire("acme", "script:s1", "p1", ttl=TTL, start=0)
        consumers.advance("acme", "script:s1", "p1", 2, dead_letter=_letter(2))
        consumers.delete("acme", "script:s1")
        assert consumers.checkpoint("acme", "script:s1") is None
        assert consumers.dead_letters("acme") == ([], 0)

    def test_taking_a_lease_without_a_start_creates_no_consumer(
        self, consumers: ConsumerStore
    ) -> None:
        assert consumers.acquire("acme", "c", "p1", ttl=TTL) is None
        assert consumers.checkpoint("acme", "c") is None
        consumers.ensure("acme", "c", 4)
        assert consumers.acquire("acme", "c", "p1", ttl=TTL) == 4

    def test_the_owner_of_a_deleted_consumer_cannot_bring_it_or_a_dead_letter_back(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.acquire("acme", "script:s1", "p1", ttl=TTL, start=0)
        consumers.advance("acme", "script:s1", "p1", 1, dead_letter=_letter(1))
        consumers.delete("acme", "script:s1")
        # What a consumer still running (here or in another process) does next.
        assert not consumers.renew("acme", "script:s1", "p1", ttl=TTL)
        assert not consumers.advance("acme", "script:s1", "p1", 2, dead_letter=_letter(2))
        consumers.release("acme", "script:s1", "p1")
        assert consumers.acquire("acme", "script:s1", "p1", ttl=TTL) is None
        assert consumers.acquire("acme", "script:s1", "p2", ttl=TTL) is None
        assert consumers.checkpoint("acme", "script:s1") is None
        assert consumers.dead_letters("acme") == ([], 0)

    def test_of_many_threads_taking_one_lease_exactly_one_gets_it(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.ensure("acme", "c", 0)
        barrier = threading.Barrier(8)
        won: list[str] = []

        def take(owner: str) -> None:
            barrier.wait()
            if consumers.acquire("acme", "c", owner, ttl=TTL, start=0) is not None:
                won.append(owner)

        threads = [threading.Thread(target=take, args=(f"p{i}",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1

    @pytest.mark.parametrize("consumer", ["x" * 200, "script:é ü", "a/b:c"])
    def test_names_up_to_200_characters_are_kept(
        self, consumers: ConsumerStore, consumer: str
    ) -> None:
        assert consumers.acquire("acme", consumer, "p" * 200, ttl=TTL, start=1) == 1
        assert consumers.checkpoint("acme", consumer) == 1
