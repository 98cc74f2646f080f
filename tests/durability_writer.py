"""A writer for tests/test_store_durability.py, killed with SIGKILL while it appends.

``python -m tests.durability_writer URL SYNCHRONOUS RUN`` opens the store at ``URL`` (SQLite
with ``PRAGMA synchronous=SYNCHRONOUS``; ignored for PostgreSQL), prints ``ready <synchronous>``
with the setting its connections really have, then appends batches 1, 2, 3, ... of 10 events
(each carrying ``run``, ``batch`` and ``index``) and after each append returns prints
``ack <batch> <head>`` and flushes. It stops after ``MAX_BATCHES`` or when stdout is closed.
"""

from __future__ import annotations

import sys
from typing import cast

from esruntime import Event, SqlEventStore, create_store_engine
from esruntime.backends.sql.connections import SqliteSynchronous

BATCH_SIZE = 10
MAX_BATCHES = 100_000  # a writer whose test died stops on its own eventually


def batch_events(run: int, batch: int) -> list[Event]:
    return [
        Event("Written", {"run": run, "batch": batch, "index": index}, [f"batch:{run}-{batch}"])
        for index in range(BATCH_SIZE)
    ]


def main(argv: list[str]) -> int:
    url, synchronous, run = argv[0], argv[1], int(argv[2])
    engine = create_store_engine(url, sqlite_synchronous=cast(SqliteSynchronous, synchronous))
    store = SqlEventStore(engine, create_tables=False)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            setting = str(conn.exec_driver_sql("PRAGMA synchronous").scalar())
    else:
        setting = "-"
    try:
        print(f"ready {setting}", flush=True)
        for batch in range(1, MAX_BATCHES + 1):
            head = store.append(batch_events(run, batch))
            print(f"ack {batch} {head}", flush=True)
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
