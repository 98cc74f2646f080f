"""The consumer store contract: one suite that every backend passes (needs pytest).

Subclass :class:`ConsumerStoreContract` and provide a ``consumers`` fixture returning an empty
:class:`~esruntime.protocols.consumers.ConsumerStore`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import pytest
from attrs import evolve

from esruntime.errors import ConfigurationError, InvalidQueryError
from esruntime.protocols.consumers import (
    MAX_ERROR_CHARS,
    MAX_LEASE_SECONDS,
    ConsumerStore,
    DeadLetter,
    new_dead_letter,
)
from esruntime.testing.refusals import assert_refused

__all__ = ["ConsumerStoreContract"]

TTL = 30.0
BAD_NAMES: list[Any] = ["", "x" * 201, "a\x00b", "line\nbreak", "\ud800", 7, None, b"bytes"]
"""Not names: empty, too long, control characters, an unpaired surrogate, not strings."""
BAD_POSITIONS: list[Any] = [-1, 2**63, 1.5, True, "1", None]
BAD_TTLS: list[Any] = [
    0,
    0.0,
    -1,
    float("nan"),
    float("inf"),
    MAX_LEASE_SECONDS + 1,
    True,
    "30",
    None,
]


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


BAD_LETTERS: list[tuple[dict[str, Any], str]] = [
    ({"id": "x" * 37}, "id"),
    ({"id": ""}, "id"),
    ({"event_id": "a\x00"}, "event_id"),
    ({"event_type": 7}, "event_type"),
    ({"position": -1}, "position"),
    ({"attempts": 0}, "attempts"),
    ({"attempts": 2**31}, "attempts"),
    ({"error": "a\x00b"}, "error"),
    ({"error": None}, "error"),
    ({"created_at": datetime(2026, 5, 1)}, "created_at"),
    ({"created_at": "2026-05-01T00:00:00Z"}, "created_at"),
]
"""Changes that make a dead letter unstorable, and a word of the error that refuses each."""


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
        consumers.acquire("acme", "c", "p1", ttl=0.001, start=0)
        _until(lambda: consumers.acquire("acme", "c", "p2", ttl=TTL, start=0) == 0)
        assert not consumers.advance("acme", "c", "p1", 5, dead_letter=_letter(5, "c"))
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

    def test_an_error_of_any_text_is_kept_as_every_store_can_hold_it(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.acquire("acme", "script:s1", "p1", ttl=TTL, start=0)
        letter = evolve(_letter(1), error="Error: a\x00b\ud800c" + "x" * 10_000)
        # new_dead_letter makes any error storable: NUL and lone surrogates become U+FFFD.
        made = new_dead_letter(
            "acme",
            "script:s1",
            event_id="evt-1",
            event_type="order.created",
            position=1,
            attempts=4,
            error=letter.error,
        )
        assert made.error.startswith("Error: a\ufffdb\ufffdc")
        assert len(made.error) == MAX_ERROR_CHARS
        assert consumers.advance("acme", "script:s1", "p1", 1, dead_letter=made)
        assert consumers.get_dead_letter("acme", made.id) == made

    def test_a_bad_tenant_is_refused_by_every_method(self, consumers: ConsumerStore) -> None:
        for tenant in BAD_NAMES:
            assert_refused(
                ConfigurationError,
                "tenant name",
                tenant,
                ensure=partial(consumers.ensure, tenant, "c", 0),
                checkpoint=partial(consumers.checkpoint, tenant, "c"),
                acquire=partial(consumers.acquire, tenant, "c", "p1", ttl=TTL, start=0),
                renew=partial(consumers.renew, tenant, "c", "p1", ttl=TTL),
                release=partial(consumers.release, tenant, "c", "p1"),
                advance=partial(consumers.advance, tenant, "c", "p1", 1),
                delete=partial(consumers.delete, tenant, "c"),
                dead_letters=partial(consumers.dead_letters, tenant),
                get_dead_letter=partial(consumers.get_dead_letter, tenant, "x"),
                remove_dead_letter=partial(consumers.remove_dead_letter, tenant, "x"),
                save_dead_letter=partial(
                    consumers.save_dead_letter, evolve(_letter(1), tenant=tenant)
                ),
            )

    def test_a_bad_consumer_or_owner_name_is_refused_and_changes_nothing(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.acquire("acme", "c", "p1", ttl=TTL, start=3)
        for name in BAD_NAMES:
            assert_refused(
                InvalidQueryError,
                "consumer",
                name,
                ensure=partial(consumers.ensure, "acme", name, 0),
                checkpoint=partial(consumers.checkpoint, "acme", name),
                acquire=partial(consumers.acquire, "acme", name, "p1", ttl=TTL, start=0),
                renew=partial(consumers.renew, "acme", name, "p1", ttl=TTL),
                release=partial(consumers.release, "acme", name, "p1"),
                advance=partial(consumers.advance, "acme", name, "p1", 9),
                delete=partial(consumers.delete, "acme", name),
            )
            if name is None:  # None is "every consumer" for dead_letters, and no owner
                continue
            assert_refused(
                InvalidQueryError,
                "consumer",
                name,
                dead_letters=partial(consumers.dead_letters, "acme", consumer=name),
            )
            assert_refused(
                InvalidQueryError,
                "owner",
                name,
                acquire=partial(consumers.acquire, "acme", "c", name, ttl=TTL, start=0),
                renew=partial(consumers.renew, "acme", "c", name, ttl=TTL),
                release=partial(consumers.release, "acme", "c", name),
                advance=partial(consumers.advance, "acme", "c", name, 9),
            )
        assert consumers.checkpoint("acme", "c") == 3
        assert consumers.acquire("acme", "c", "p2", ttl=TTL) is None  # still p1's

    def test_a_bad_start_or_position_is_refused_and_changes_nothing(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.acquire("acme", "c", "p1", ttl=TTL, start=3)
        for position in BAD_POSITIONS:
            assert_refused(
                InvalidQueryError,
                "start",
                position,
                ensure=partial(consumers.ensure, "acme", "new", position),
            )
            if position is not None:  # acquire's start=None creates nothing
                assert_refused(
                    InvalidQueryError,
                    "start",
                    position,
                    acquire=partial(
                        consumers.acquire, "acme", "new", "p1", ttl=TTL, start=position
                    ),
                )
            assert_refused(
                InvalidQueryError,
                "position",
                position,
                advance=partial(
                    consumers.advance, "acme", "c", "p1", position, dead_letter=_letter(5, "c")
                ),
            )
        assert consumers.checkpoint("acme", "new") is None
        assert consumers.checkpoint("acme", "c") == 3
        assert consumers.dead_letters("acme") == ([], 0)

    def test_the_largest_position_is_kept(self, consumers: ConsumerStore) -> None:
        assert consumers.acquire("acme", "c", "p1", ttl=TTL, start=2**63 - 2) == 2**63 - 2
        assert consumers.advance("acme", "c", "p1", 2**63 - 1)
        assert consumers.checkpoint("acme", "c") == 2**63 - 1

    def test_a_lease_of_no_time_or_of_no_number_isassert_refused(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.acquire("acme", "c", "p1", ttl=TTL, start=0)
        for ttl in BAD_TTLS:
            assert_refused(
                InvalidQueryError,
                "ttl",
                ttl,
                acquire=partial(consumers.acquire, "acme", "new", "p1", ttl=ttl, start=0),
                renew=partial(consumers.renew, "acme", "c", "p1", ttl=ttl),
            )
        assert consumers.checkpoint("acme", "new") is None
        assert consumers.acquire("acme", "c", "p2", ttl=TTL) is None  # p1's lease holds

    def test_a_bad_window_of_dead_letters_isassert_refused(self, consumers: ConsumerStore) -> None:
        offsets: list[Any] = [-1, 2**63, "0", True, None]
        for offset in offsets:
            assert_refused(
                InvalidQueryError,
                "offset",
                offset,
                dead_letters=partial(consumers.dead_letters, "acme", offset=offset),
            )
        limits: list[Any] = [0, -1, 2**63, 2.5, None]
        for limit in limits:
            assert_refused(
                InvalidQueryError,
                "limit",
                limit,
                dead_letters=partial(consumers.dead_letters, "acme", limit=limit),
            )

    def test_a_letter_id_that_is_no_string_is_refused_one_that_cannot_exist_finds_nothing(
        self, consumers: ConsumerStore
    ) -> None:
        letter_ids: list[Any] = ["a\x00b", "\ud800", 7, None]
        for letter_id in letter_ids:
            assert_refused(
                InvalidQueryError,
                "letter_id",
                letter_id,
                get_dead_letter=partial(consumers.get_dead_letter, "acme", letter_id),
                remove_dead_letter=partial(consumers.remove_dead_letter, "acme", letter_id),
            )
        for unknown in ("", "x" * 10_000, "' OR 1=1 --", "../x"):
            assert consumers.get_dead_letter("acme", unknown) is None
            assert consumers.remove_dead_letter("acme", unknown) is False

    def test_a_dead_letter_no_store_can_keep_is_refused_and_nothing_moves(
        self, consumers: ConsumerStore
    ) -> None:
        consumers.acquire("acme", "script:s1", "p1", ttl=TTL, start=0)
        for change, named in [
            ({"tenant": "beta"}, "belongs"),
            ({"consumer": "script:s2"}, "belongs"),
            *BAD_LETTERS,
        ]:
            assert_refused(
                InvalidQueryError,
                named,
                change,
                advance=partial(
                    consumers.advance,
                    "acme",
                    "script:s1",
                    "p1",
                    1,
                    dead_letter=evolve(_letter(1), **change),
                ),
            )
        assert consumers.checkpoint("acme", "script:s1") == 0
        assert consumers.dead_letters("acme") == ([], 0)
        stored = _letter(1)
        assert consumers.advance("acme", "script:s1", "p1", 1, dead_letter=stored)
        for change, named in BAD_LETTERS:
            assert_refused(
                InvalidQueryError,
                named,
                change,
                save_dead_letter=partial(consumers.save_dead_letter, evolve(stored, **change)),
            )
        assert consumers.get_dead_letter("acme", stored.id) == stored

    def test_anything_but_a_dead_letter_isassert_refused(self, consumers: ConsumerStore) -> None:
        consumers.acquire("acme", "script:s1", "p1", ttl=TTL, start=0)
        letters: list[Any] = [None, {"id": "x"}, "letter", 7]
        for letter in letters:
            assert_refused(
                InvalidQueryError,
                "DeadLetter",
                letter,
                save_dead_letter=partial(consumers.save_dead_letter, letter),
            )
            if letter is not None:  # advance's dead_letter=None is "no letter"
                assert_refused(
                    InvalidQueryError,
                    "DeadLetter",
                    letter,
                    advance=partial(
                        consumers.advance, "acme", "script:s1", "p1", 1, dead_letter=letter
                    ),
                )
        assert consumers.checkpoint("acme", "script:s1") == 0
