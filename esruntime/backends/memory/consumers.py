"""Durable consumers' checkpoints, leases and dead letters kept in process memory:
:class:`InMemoryConsumerStore`, the memory backend's :class:`~esruntime.protocols.ConsumerStore`.
"""

from __future__ import annotations

import threading
import time

from attrs import evolve, frozen

from esruntime.checks import check_count, check_lookup, check_tenant
from esruntime.protocols.consumers import (
    DeadLetter,
    check_consumer,
    check_dead_letter,
    check_ttl,
)

__all__ = ["InMemoryConsumerStore"]


@frozen
class _Row:
    position: int
    owner: str | None = None
    expires: float = 0.0


class InMemoryConsumerStore:
    """A :class:`~esruntime.protocols.ConsumerStore` in process memory, under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], _Row] = {}
        self._letters: dict[tuple[str, str], DeadLetter] = {}

    def ensure(self, tenant: str, consumer: str, start: int) -> int:
        check_consumer(tenant, consumer)
        check_count("start", start)
        with self._lock:
            return self._rows.setdefault((tenant, consumer), _Row(start)).position

    def checkpoint(self, tenant: str, consumer: str) -> int | None:
        check_consumer(tenant, consumer)
        with self._lock:
            row = self._rows.get((tenant, consumer))
            return None if row is None else row.position

    def acquire(
        self, tenant: str, consumer: str, owner: str, *, ttl: float, start: int | None = None
    ) -> int | None:
        check_consumer(tenant, consumer, owner)
        check_ttl(ttl)
        if start is not None:
            check_count("start", start)
        now = time.time()
        with self._lock:
            if start is not None:
                self._rows.setdefault((tenant, consumer), _Row(start))
            row = self._rows.get((tenant, consumer))
            if row is None:
                return None
            if row.owner not in (None, owner) and row.expires >= now:
                return None
            self._rows[tenant, consumer] = evolve(row, owner=owner, expires=now + ttl)
            return row.position

    def renew(self, tenant: str, consumer: str, owner: str, *, ttl: float) -> bool:
        check_consumer(tenant, consumer, owner)
        check_ttl(ttl)
        with self._lock:
            row = self._rows.get((tenant, consumer))
            if row is None or row.owner != owner:
                return False
            self._rows[tenant, consumer] = evolve(row, expires=time.time() + ttl)
            return True

    def release(self, tenant: str, consumer: str, owner: str) -> None:
        check_consumer(tenant, consumer, owner)
        with self._lock:
            row = self._rows.get((tenant, consumer))
            if row is not None and row.owner == owner:
                self._rows[tenant, consumer] = evolve(row, owner=None, expires=0.0)

    def advance(
        self,
        tenant: str,
        consumer: str,
        owner: str,
        position: int,
        *,
        dead_letter: DeadLetter | None = None,
    ) -> bool:
        check_consumer(tenant, consumer, owner)
        check_count("position", position)
        if dead_letter is not None:
            check_dead_letter(dead_letter, tenant, consumer)
        with self._lock:
            row = self._rows.get((tenant, consumer))
            if row is None or row.owner != owner:
                return False
            self._rows[tenant, consumer] = evolve(row, position=max(row.position, position))
            if dead_letter is not None:
                self._letters[tenant, dead_letter.id] = dead_letter
            return True

    def delete(self, tenant: str, consumer: str) -> None:
        check_consumer(tenant, consumer)
        with self._lock:
            self._rows.pop((tenant, consumer), None)
            for key, letter in list(self._letters.items()):
                if letter.tenant == tenant and letter.consumer == consumer:
                    del self._letters[key]

    def dead_letters(
        self, tenant: str, *, consumer: str | None = None, offset: int = 0, limit: int = 20
    ) -> tuple[list[DeadLetter], int]:
        check_tenant(tenant)
        if consumer is not None:
            check_consumer(tenant, consumer)
        check_count("offset", offset)
        check_count("limit", limit, 1)
        with self._lock:
            found = [
                letter
                for (owner, _), letter in self._letters.items()
                if owner == tenant and (consumer is None or letter.consumer == consumer)
            ]
        found.sort(key=lambda letter: (letter.position, letter.consumer, letter.id))
        return found[offset : offset + limit], len(found)

    def get_dead_letter(self, tenant: str, letter_id: str) -> DeadLetter | None:
        check_tenant(tenant)
        check_lookup("letter_id", letter_id)
        with self._lock:
            return self._letters.get((tenant, letter_id))

    def save_dead_letter(self, letter: DeadLetter) -> bool:
        check_dead_letter(letter)
        with self._lock:
            if (letter.tenant, letter.id) not in self._letters:
                return False
            self._letters[letter.tenant, letter.id] = letter
            return True

    def remove_dead_letter(self, tenant: str, letter_id: str) -> bool:
        check_tenant(tenant)
        check_lookup("letter_id", letter_id)
        with self._lock:
            return self._letters.pop((tenant, letter_id), None) is not None
