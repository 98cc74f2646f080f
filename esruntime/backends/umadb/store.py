"""One tenant's event store on a UmaDB server (the layout is in ``mapping``).

Positions are the server's: every tenant of a server, and every idempotency record, takes
positions from the same sequence, so a tenant's positions increase but may skip (the contract's
``gapless_positions`` capability is false). Conditions, reads and subscriptions are in the
tenant's namespace, so other tenants' events never match them. Appends are in ``appends``, the
registration of a tenant by its first append in ``tenants``.
"""

from __future__ import annotations

from collections.abc import Sequence

import umadb

from esruntime.backends.umadb.appends import batch, conditional_append
from esruntime.backends.umadb.connection import UmaDbUrl, connect, translate_errors
from esruntime.backends.umadb.mapping import (
    MAX_LIMIT,
    clamp,
    event_from_umadb,
    id_item,
    record_from_umadb,
    record_item,
    scoped_query,
)
from esruntime.backends.umadb.subscription import UmaDbSubscription
from esruntime.backends.umadb.tenants import TenantNumber
from esruntime.checks import check_lookup, check_read_args, check_tenant
from esruntime.encoding import (
    DEFAULT_MAX_EVENT_BYTES,
    check_condition,
    encode_events,
)
from esruntime.errors import (
    ConfigurationError,
    DuplicateEventIdError,
    EventTooLargeError,
    IntegrityError,
)
from esruntime.events import AppendCondition, Event, Query, QueryItem, ReadResult, SequencedEvent
from esruntime.idempotency import IdempotencyRecord
from esruntime.subscriptions import Subscription

__all__ = ["MAX_APPEND_BYTES", "UmaDbEventStore"]

MAX_APPEND_BYTES = 4 * 1024 * 1024 - 64 * 1024
"""UmaDB takes gRPC messages up to 4 MiB: an append's data and metadata stay below this."""


class UmaDbEventStore:
    """The events of ``tenant`` on the UmaDB server at ``url`` (or through ``client``)."""

    def __init__(
        self,
        url: str | UmaDbUrl | None = None,
        tenant: str = "default",
        *,
        client: umadb.Client | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self._tenant = check_tenant(tenant)
        self._owns_client = False
        if max_event_bytes > MAX_APPEND_BYTES:
            raise ConfigurationError(
                f"max_event_bytes is at most {MAX_APPEND_BYTES:,} on UmaDB (its 4 MiB message "
                f"limit), got {max_event_bytes:,}"
            )
        self.max_event_bytes = max_event_bytes
        if client is None:
            if url is None:
                raise ConfigurationError("a UmaDB event store needs a umadb:// URL or a client")
            self._owns_client = True
            client = connect(url if isinstance(url, UmaDbUrl) else UmaDbUrl.parse(url))
        else:
            self._owns_client = False
        self._client = client
        self._subscriptions: set[UmaDbSubscription] = set()
        self._registration = TenantNumber(client, self._tenant)

    @property
    def tenant(self) -> str:
        return self._tenant

    @property
    def client(self) -> umadb.Client:
        return self._client

    # -- writing -------------------------------------------------------------------------------

    def append(
        self,
        events: Event | Sequence[Event],
        condition: AppendCondition | None = None,
        *,
        record: IdempotencyRecord | None = None,
    ) -> int:
        encoded = encode_events(events, self.max_event_bytes)
        check_condition(condition)
        size = sum(len(data) + len(metadata) for _, data, metadata in encoded)
        if size > MAX_APPEND_BYTES:
            raise EventTooLargeError(
                f"the append is {size:,} bytes of data and metadata; UmaDB takes at most "
                f"{MAX_APPEND_BYTES:,} in one append"
            )
        ids = [event.id for event, _, _ in encoded]
        if len(set(ids)) < len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise DuplicateEventIdError(f"event id {duplicate!r} appears twice in the append")
        with translate_errors():
            number = self._registration.lookup()
            if number is None:
                # The tenant has no events: no condition, id or key can fail.
                first = self._registration.first_append(lambda n: batch(n, encoded, record))
                if first is not None:
                    return first[1] - (record is not None)
                number = self._registration.lookup()
                assert number is not None
            return conditional_append(self._client, number, encoded, condition, record)

    # -- reading -------------------------------------------------------------------------------

    def read(
        self,
        query: Query | None = None,
        *,
        start: int | None = None,
        backwards: bool = False,
        limit: int | None = None,
    ) -> ReadResult:
        check_read_args(start, limit)
        if limit == 0:
            return ReadResult([], None)
        with translate_errors():
            number = self._registration.lookup()
            if number is None:  # no event yet: the server's head is a valid snapshot
                return ReadResult([], None if limit is not None else self._client.head())
            scoped = scoped_query(query if query is not None else Query(), number)
            response = self._client.read(
                scoped, start=clamp(start), backwards=backwards, limit=clamp(limit, MAX_LIMIT)
            )
            found, head = response.collect_with_head()
        return ReadResult([event_from_umadb(e, number) for e in found], head)

    def head(self) -> int | None:
        """The position of the tenant's last event (other tenants' events come after it)."""
        with translate_errors():
            number = self._registration.lookup()
            if number is None:
                return None
            found = self._client.read(
                scoped_query(Query(), number), backwards=True, limit=1
            ).collect_with_head()[0]
        return found[0].position if found else None

    def subscribe(self, query: Query | None = None, *, after: int | None = None) -> Subscription:
        if after is not None:
            check_read_args(after, None)
        wanted = query if query is not None else Query()

        def open_stream() -> tuple[umadb.Subscription, int] | None:
            number = self._registration.lookup()
            if number is None:
                return None  # the tenant's first append is still to come
            stream = self._client.subscribe(scoped_query(wanted, number), after=clamp(after))
            return stream, number

        with translate_errors():
            opened = open_stream()
        subscription = UmaDbSubscription(
            open_stream, opened, query, after, self._subscriptions.discard
        )
        self._subscriptions.add(subscription)
        return subscription

    def get(self, event_id: str) -> SequencedEvent | None:
        check_lookup("event_id", event_id)
        with translate_errors():
            number = self._registration.lookup()
            if number is None:
                return None
            query = umadb.Query([id_item(number, event_id)])
            found = self._client.read(query, limit=1).collect_with_head()[0]
        return event_from_umadb(found[0], number) if found else None

    def count(self, event_type: str, *, having_field: str | None = None) -> int:
        """Counted by reading the tenant's events of the type: UmaDB has no aggregates."""
        check_lookup("event_type", event_type)
        if having_field is not None:
            check_lookup("having_field", having_field)
        q = Query([QueryItem(types=(event_type,))])
        total = 0
        for event in self._scan(q):
            if having_field is None or (
                isinstance(event.data, dict) and having_field in event.data
            ):
                total += 1
        return total

    def type_counts(self) -> dict[str, int]:
        """Counted by reading every event of the tenant."""
        counts: dict[str, int] = {}
        for event in self._scan(Query()):
            counts[event.type] = counts.get(event.type, 0) + 1
        return counts

    def _scan(self, query: Query) -> list[SequencedEvent]:
        found: list[SequencedEvent] = []
        with translate_errors():
            number = self._registration.lookup()
            if number is None:
                return found
            response = self._client.read(scoped_query(query, number))
            while batch := response.next_batch():
                found.extend(event_from_umadb(e, number) for e in batch)
        return found

    # -- idempotency records -------------------------------------------------------------------

    def recall(self, key: str) -> IdempotencyRecord | None:
        with translate_errors():
            number = self._registration.lookup()
            if number is None:
                return None
            query = umadb.Query([record_item(number, key)])
            found = self._client.read(query, limit=1).collect_with_head()[0]
        return record_from_umadb(found[0], key) if found else None

    def remember(self, record: IdempotencyRecord) -> IdempotencyRecord:
        with translate_errors():
            number = self._registration.lookup()
            if number is None and self._registration.first_append(lambda n: batch(n, [], record)):
                return record
            number = self._registration.lookup()
            assert number is not None
            query = umadb.Query([record_item(number, record.key)])
            try:
                self._client.append(batch(number, [], record), umadb.AppendCondition(query))
            except umadb.IntegrityError:
                existing = self.recall(record.key)
                if existing is None:  # pragma: no cover - a record is never removed
                    raise IntegrityError("the idempotency record vanished") from None
                return existing
        return record

    def close(self) -> None:
        """Close the open subscriptions; a client passed in stays open for its owner."""
        for subscription in list(self._subscriptions):
            subscription.close()
        if self._owns_client:
            self._client.close()
