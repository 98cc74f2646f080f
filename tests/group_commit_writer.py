"""A writer for tests/test_store_group_durability.py, killed with SIGKILL while it appends.

``python -m tests.group_commit_writer URL SYNCHRONOUS RUN THREADS`` opens the store at ``URL``
(SQLite with ``PRAGMA synchronous=SYNCHRONOUS``; ignored for PostgreSQL), prints ``ready``,
then appends on ``THREADS`` threads at once, so that appends are committed in groups. Thread
``t`` appends pairs ``1, 2, 3, ...``: two events tagged ``lane:<run>-<t>``, under the condition
that nothing else is on its lane, with the idempotency key ``<run>-<t>-<seq>``. After each
append returns it prints ``ack <t> <seq> <head>``; after each group's transaction is written,
``group <size>``; each line flushed. It stops after ``MAX_PAIRS`` per thread or when stdout is
closed.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, cast

from esruntime import Event, SqlEventStore, create_store_engine
from esruntime.backends.sql.connections import SqliteSynchronous
from esruntime.events import AppendCondition, Query, QueryItem
from esruntime.idempotency import IdempotencyRecord

MAX_PAIRS = 100_000  # a writer whose test died stops on its own eventually


def pair(run: int, thread: int, seq: int) -> list[Event]:
    lane = f"lane:{run}-{thread}"
    return [
        Event("Pair", {"run": run, "thread": thread, "seq": seq, "half": half}, [lane])
        for half in range(2)
    ]


def key(run: int, thread: int, seq: int) -> str:
    return f"{run}-{thread}-{seq}"


def main(argv: list[str]) -> int:
    url, synchronous, run, threads = argv[0], argv[1], int(argv[2]), int(argv[3])
    engine = create_store_engine(url, sqlite_synchronous=cast(SqliteSynchronous, synchronous))
    store = SqlEventStore(engine, create_tables=False)
    printing = threading.Lock()
    stopped = threading.Event()

    def say(line: str) -> None:
        with printing:
            try:
                print(line, flush=True)
            except (BrokenPipeError, ValueError):
                stopped.set()

    paths: Any = store._paths
    write_group = paths.append_group

    def counted(group: list[Any]) -> None:
        write_group(group)
        say(f"group {len(group)}")

    paths.append_group = counted  # this process's stores only

    def write(thread: int) -> None:
        lane = Query([QueryItem(tags=(f"lane:{run}-{thread}",))])
        head = None
        for seq in range(1, MAX_PAIRS + 1):
            if stopped.is_set():
                return
            record = IdempotencyRecord(key(run, thread, seq), "fp", {"seq": seq})
            head = store.append(
                pair(run, thread, seq), AppendCondition(lane, after=head), record=record
            )
            say(f"ack {thread} {seq} {head}")

    say("ready")
    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
