"""A writer killed with SIGKILL while its threads commit appends in groups loses no
acknowledged append, and leaves no group, append or idempotency record partly written.

The writer (tests/group_commit_writer.py) appends pairs of events on many threads at once and
acknowledges each on stdout after ``append`` returned; it also reports each group it wrote, so
that the test knows groups were formed. The test kills it twice, reopening the store with a
fresh engine each time and checking the whole history.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from esruntime import SqlEventStore
from tests.group_commit_writer import key

ROOT = Path(__file__).resolve().parent.parent
THREADS = 8
KILL_AFTER_ACKS = (40, 300)

Acked = dict[tuple[int, int], int]
"""(thread, seq) → the head its append was acknowledged with."""


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite-full"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """A database URL with the event tables in place."""
    url: str = (
        sqlite_url if request.param == "sqlite" else request.getfixturevalue("clean_postgres_url")
    )
    SqlEventStore(url).close()
    return url


def run_and_kill(url: str, run: int, acks: int, log: Path) -> tuple[Acked, int]:
    """Start a writer, SIGKILL it after ``acks`` acknowledgements: what it acknowledged, and
    the size of the largest group it reported."""
    command = [sys.executable, "-m", "tests.group_commit_writer", url, "FULL", str(run)]
    with log.open("w") as stderr:
        writer = subprocess.Popen(
            [*command, str(THREADS)], cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    assert writer.stdout is not None
    acked: Acked = {}
    largest = 0

    def take(line: str) -> None:
        nonlocal largest
        word, *values = line.split()
        if word == "ack":
            thread, seq, head = map(int, values)
            acked[thread, seq] = head
        elif word == "group":
            largest = max(largest, int(values[0]))

    try:
        assert writer.stdout.readline() == "ready\n", log.read_text()
        while len(acked) < acks:
            line = writer.stdout.readline()
            assert line, f"writer stopped\n{log.read_text()}"
            take(line)
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    # Lines written before the kill but not yet read count too (a torn last line does not).
    for line in writer.stdout.read().splitlines(keepends=True):
        if line.endswith("\n"):
            take(line)
    writer.stdout.close()
    return acked, largest


def check_history(url: str, acked_by_run: dict[int, Acked]) -> None:
    """Every acknowledged pair is whole at its head; each pair is whole or absent, with its
    idempotency record exactly when it is present; each thread's pairs have no gap."""
    store = SqlEventStore(url, create_tables=False)  # a fresh engine: what a restart sees
    try:
        events = store.read().events
        pairs: dict[tuple[int, int, int], list[tuple[int, int]]] = defaultdict(list)
        for event in events:
            data = event.data
            pairs[data["run"], data["thread"], data["seq"]].append((event.position, data["half"]))
        assert [event.position for event in events] == list(range(1, len(events) + 1))
        for pair_key, rows in pairs.items():
            first = rows[0][0]
            assert rows == [(first, 0), (first + 1, 1)], pair_key
            assert store.recall(key(*pair_key)) is not None, pair_key
        for run, acked in acked_by_run.items():
            for thread in range(THREADS):
                present = sorted(s for r, t, s in pairs if (r, t) == (run, thread))
                assert present == list(range(1, len(present) + 1)), (run, thread)
                assert store.recall(key(run, thread, len(present) + 1)) is None
                acked_seqs = sorted(s for t, s in acked if t == thread)
                # Only the append in flight when the writer was killed may be unacknowledged.
                assert len(present) - len(acked_seqs) in (0, 1), (run, thread)
            for (thread, seq), head in acked.items():
                assert pairs[run, thread, seq][-1][0] == head, (run, thread, seq)
    finally:
        store.close()


def test_a_killed_writer_of_groups_loses_no_acknowledged_append_and_leaves_nothing_partial(
    url: str, tmp_path: Path
) -> None:
    acked_by_run: dict[int, Acked] = {}
    largest_group = 0
    for run, acks in enumerate(KILL_AFTER_ACKS, 1):
        acked, largest = run_and_kill(url, run, acks, tmp_path / f"writer-{run}.log")
        assert len(acked) >= acks
        largest_group = max(largest_group, largest)
        acked_by_run[run] = acked
        check_history(url, acked_by_run)
    assert largest_group > 1  # the appends were committed in groups
