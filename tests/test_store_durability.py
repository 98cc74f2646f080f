"""A writer killed with SIGKILL mid-stream loses no acknowledged event and leaves no partial batch.

The writer (tests/durability_writer.py) runs in its own interpreter and acknowledges each batch
on stdout after ``append`` returned. The test kills it at several points in a row, each time
reopening the store with a fresh engine and checking the whole history written so far.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from esruntime import SqlEventStore
from tests.durability_writer import BATCH_SIZE

ROOT = Path(__file__).resolve().parent.parent
KILL_AFTER_ACKS = (5, 30, 77)
PRAGMA_SYNCHRONOUS = {"NORMAL": "1", "FULL": "2"}


@pytest.fixture(
    params=[
        pytest.param(("sqlite", "NORMAL"), id="sqlite-normal"),
        pytest.param(("sqlite", "FULL"), id="sqlite-full"),
        pytest.param(("postgres", "NORMAL"), id="postgres", marks=pytest.mark.postgres),
    ]
)
def target(request: pytest.FixtureRequest, sqlite_url: str) -> tuple[str, str]:
    """A database URL with the event tables in place, and the SQLite synchronous setting."""
    backend, synchronous = request.param
    url: str = sqlite_url if backend == "sqlite" else request.getfixturevalue("clean_postgres_url")
    SqlEventStore(url).close()
    return url, synchronous


def run_and_kill(url: str, synchronous: str, run: int, acks: int, log: Path) -> dict[int, int]:
    """Start a writer, SIGKILL it after ``acks`` acknowledgements; every batch it acked → head."""
    command = [sys.executable, "-m", "tests.durability_writer", url, synchronous, str(run)]
    with log.open("w") as stderr:
        writer = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    assert writer.stdout is not None
    acked: dict[int, int] = {}
    try:
        ready = writer.stdout.readline()
        expected = PRAGMA_SYNCHRONOUS[synchronous] if url.startswith("sqlite") else "-"
        assert ready == f"ready {expected}\n", log.read_text()
        while len(acked) < acks:
            line = writer.stdout.readline()
            assert line.startswith("ack "), f"writer stopped: {line!r}\n{log.read_text()}"
            _, batch, head = line.split()
            acked[int(batch)] = int(head)
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    # Acks written before the kill but not yet read count too (a torn last line does not).
    for line in writer.stdout.read().splitlines(keepends=True):
        if line.endswith("\n"):
            _, batch, head = line.split()
            acked[int(batch)] = int(head)
    writer.stdout.close()
    return acked


def check_history(url: str, acked_by_run: dict[int, dict[int, int]]) -> None:
    """Every acked batch is whole at the head it was acked with; nothing partial; no gaps."""
    store = SqlEventStore(url, create_tables=False)  # a fresh engine: what a restart sees
    try:
        result = store.read()
    finally:
        store.close()
    events = result.events
    assert [event.position for event in events] == list(range(1, len(events) + 1))
    assert result.head == (len(events) or None)

    batches: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for event in events:
        batches[event.data["run"], event.data["batch"]].append(
            (event.position, event.data["index"])
        )
    for (run, batch), rows in batches.items():
        first = rows[0][0]
        assert rows == [(first + index, index) for index in range(BATCH_SIZE)], (run, batch)
        assert events[first - 1].tags == (f"batch:{run}-{batch}",)

    for run, acked in acked_by_run.items():
        present = sorted(batch for r, batch in batches if r == run)
        last_acked = max(acked)
        # The writer appends 1, 2, 3, ...: at most the batch in flight when killed is unacked.
        assert present in (list(range(1, last_acked + 1)), list(range(1, last_acked + 2)))
        for batch, head in acked.items():
            assert batches[run, batch][-1][0] == head, f"run {run} batch {batch} acked at {head}"


def test_a_killed_writer_loses_no_acknowledged_event_and_leaves_no_partial_batch(
    target: tuple[str, str], tmp_path: Path
) -> None:
    url, synchronous = target
    acked_by_run: dict[int, dict[int, int]] = {}
    for run, acks in enumerate(KILL_AFTER_ACKS, 1):
        acked = run_and_kill(url, synchronous, run, acks, tmp_path / f"writer-{run}.log")
        assert len(acked) >= acks
        assert sorted(acked) == list(range(1, len(acked) + 1))
        acked_by_run[run] = acked
        check_history(url, acked_by_run)
