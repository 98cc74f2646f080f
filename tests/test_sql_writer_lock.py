"""The SQLite writer lock: threads of a process take turns to append; a forked child has its
own lock, so a lock its parent held at the fork never blocks it."""

from __future__ import annotations

import os
import threading

from esruntime import Event, Query, QueryItem, SqlEventStore
from esruntime.backends.sql.connections import thread_connections


def test_a_forked_child_appends_while_its_parent_holds_the_writer_lock(sqlite_url: str) -> None:
    store = SqlEventStore(sqlite_url)
    store.append(Event("Noted", {"by": "parent"}, []))
    with thread_connections(store.engine).writer:
        pid = os.fork()
        if pid == 0:  # the child
            try:
                store.append(Event("Noted", {"by": "child"}, []))
            finally:
                os._exit(0 if store.head() == 2 else 1)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert [e.data["by"] for e in store.read(Query([QueryItem(types=("Noted",))])).events] == [
        "parent",
        "child",
    ]
    store.close()


def test_threads_appending_at_once_all_land_with_gapless_positions(sqlite_url: str) -> None:
    store = SqlEventStore(sqlite_url)
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        for i in range(25):
            store.append(Event("Noted", {"n": n, "i": i}, [f"writer:{n}"]))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = store.read(Query([QueryItem(types=("Noted",))])).events
    assert [e.position for e in events] == list(range(1, 201))
    assert sorted((e.data["n"], e.data["i"]) for e in events) == [
        (n, i) for n in range(8) for i in range(25)
    ]
    assert not thread_connections(store.engine).writer.locked()
    store.close()
