"""Entry points for the processes of tests/test_store_processes.py (started with "spawn").

They live outside the test module so that a child imports only this and esruntime. Each worker
reports on a queue: ``("error", worker, repr(exc))`` when anything goes wrong, so the test fails
with the child's error instead of waiting for results that never come.
"""

from __future__ import annotations

import traceback
from typing import Any

from esruntime import (
    AppendCondition,
    Event,
    IntegrityError,
    Query,
    QueryItem,
    SqlEventStore,
    create_store_engine,
)

# Long enough never to fire on a healthy run; short enough that a stuck child ends the test.
WAIT_SECONDS = 60.0

SEAT = Query([QueryItem(types=["Claimed"], tags=["seat:1"])])


def _report_error(outcomes: Any, worker: object) -> None:
    outcomes.put(("error", worker, traceback.format_exc()))


def claim_seat(url: str, worker: int, rounds: int, barrier: Any, outcomes: Any) -> None:
    """Each round: read the seat's head, wait for every worker, then append if nothing changed."""
    try:
        store = SqlEventStore(url, create_tables=False)
        try:
            for round_ in range(rounds):
                head = store.read(SEAT).head
                barrier.wait(WAIT_SECONDS)
                claim = Event("Claimed", {"worker": worker, "round": round_}, ["seat:1"])
                try:
                    position = store.append(claim, AppendCondition(SEAT, after=head))
                except IntegrityError:
                    outcomes.put(("lost", worker, round_, head, None))
                else:
                    outcomes.put(("won", worker, round_, head, position))
        finally:
            store.close()
    except BaseException:
        barrier.abort()  # the others get BrokenBarrierError instead of waiting for this one
        _report_error(outcomes, worker)


def append_batches(
    url: str, worker: int, batches: int, size: int, start: Any, outcomes: Any
) -> None:
    """Append ``batches`` unconditional batches of ``size`` events; report each returned head."""
    try:
        store = SqlEventStore(url, create_tables=False)
        try:
            start.wait(WAIT_SECONDS)
            heads = []
            for batch in range(batches):
                events = [
                    Event("Booked", {"worker": worker, "batch": batch, "index": index})
                    for index in range(size)
                ]
                heads.append(store.append(events))
            outcomes.put(("done", worker, heads))
        finally:
            store.close()
    except BaseException:
        start.abort()
        _report_error(outcomes, worker)


def write_ticks(url: str, worker: int, ticks: int, start: Any, outcomes: Any) -> None:
    """Append ``ticks`` Tick events, alone or with Noise events around them."""
    try:
        store = SqlEventStore(url, create_tables=False)
        try:
            start.wait(WAIT_SECONDS)
            for tick in range(ticks):
                data = {"worker": worker, "tick": tick}
                event = Event("Tick", data, [f"worker:{worker}"])
                noise = [Event("Noise", data, [f"worker:{worker}"]) for _ in range(tick % 3)]
                if tick % 3 == 0:
                    store.append(event)
                elif tick % 3 == 1:
                    store.append([*noise, event])
                else:
                    store.append([noise[0], event, noise[1]])
            outcomes.put(("done", worker))
        finally:
            store.close()
    except BaseException:
        start.abort()
        _report_error(outcomes, worker)


def write_tenant(url: str, tenant: str, batches: int, size: int, start: Any, outcomes: Any) -> None:
    """Register ``tenant`` and append batches to it, conditional on the tenant's own head."""
    try:
        store = SqlEventStore(url, tenant=tenant, create_tables=False)
        try:
            start.wait(WAIT_SECONDS)
            for batch in range(batches):
                head = store.head()
                events = [
                    Event("Written", {"tenant": tenant, "batch": batch, "index": index})
                    for index in range(size)
                ]
                # Only this process writes the tenant: another tenant's appends never conflict.
                store.append(events, AppendCondition(Query(), after=head))
            outcomes.put(("done", tenant))
        finally:
            store.close()
    except BaseException:
        start.abort()
        _report_error(outcomes, tenant)


def open_store(url: str, tenant: str, start: Any, outcomes: Any) -> None:
    """Open (and so create the tables of) a store at the same time as other processes."""
    try:
        engine = create_store_engine(url)
        with engine.connect():  # connect first, so that the processes race on the schema only
            pass
        start.wait(WAIT_SECONDS)
        SqlEventStore(engine, tenant=tenant).close()
        engine.dispose()
        outcomes.put(("done", tenant))
    except BaseException:
        _report_error(outcomes, tenant)
