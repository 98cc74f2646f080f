"""Instruction counts of the store's and the executor's hot paths, for two or more source trees.

Run: ``python benchmarks/bench_instructions.py --tree before=/path/to/checkout --tree after=.``
(``git worktree add /tmp/before <commit>`` makes such a checkout). Each workload runs once per
tree under ``valgrind --tool=callgrind`` (Debian package ``valgrind``), which counts the
instructions the interpreter executes, not seconds: the figures repeat whatever else the machine
is doing, so a change can be compared on a busy machine. Disk waits (commits, fsync) are not
counted, so this measures the CPU cost only; ``bench_store.py`` and ``bench_commands.py`` measure
time. The count of interpreter start-up and imports (workload ``none``) is subtracted from each
workload of the same tree. Ratios are against the first tree given.

Workloads (SQLite files in a temporary folder, the same for every tree):

- ``cond``: 1,000 conditional appends of one event over 100 tags;
- ``batch``: 20 appends of 100 events;
- ``read``: 20 reads of a tag's 1,000 events;
- ``py``: 40 ``transfer_funds`` of the bank's Python class with 100 prior events, on memory and
  on SQLite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOADS = ("cond", "batch", "read", "py")


def workload(name: str) -> None:
    """Run one workload in this process (the tree under test is first on ``sys.path``)."""
    # Imported by every workload, ``none`` included, so that their cost is subtracted.
    from benchmarks.bench_commands import executor_for, populate
    from esruntime import (
        AppendCondition,
        Event,
        InMemoryEventStore,
        Query,
        QueryItem,
        SqlEventStore,
    )

    folder = tempfile.mkdtemp()
    try:
        if name == "none":
            return
        if name == "py":
            for backend in ("memory", "sqlite"):
                store = (
                    InMemoryEventStore()
                    if backend == "memory"
                    else SqlEventStore(f"sqlite:///{folder}/py.db")
                )
                populate(store, 40, 100)
                executor = executor_for(store, "python")
                for n in range(40):
                    command = {
                        "source_account": f"acc{2 * n}",
                        "dest_account": f"acc{2 * n + 1}",
                        "amount": 1,
                    }
                    result = executor.execute("transfer_funds", command)
                    assert result.outcome == "ok", result
            return
        store = SqlEventStore(f"sqlite:///{folder}/events.db")
        if name == "cond":
            heads: dict[str, int | None] = {}
            for i in range(1000):
                tag = f"account:{i % 100}"
                query = Query([QueryItem(types=["Deposited"], tags=[tag])])
                event = Event("Deposited", {"account_id": tag, "amount": i}, [tag])
                condition = AppendCondition(query, after=heads.get(tag))
                heads[tag] = store.append(event, condition)
        elif name == "batch":
            for _ in range(20):
                store.append(
                    [
                        Event("Deposited", {"account_id": f"a{i}", "amount": i}, [f"account:{i}"])
                        for i in range(100)
                    ]
                )
        elif name == "read":
            store.append(
                [
                    Event("Deposited", {"account_id": "a1", "amount": i}, ["account:a1"])
                    for i in range(1000)
                ]
            )
            query = Query([QueryItem(types=["Deposited"], tags=["account:a1"])])
            for _ in range(20):
                assert len(store.read(query).events) == 1000
        else:
            raise SystemExit(f"unknown workload {name!r}")
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def count(tree: Path, name: str, output: Path) -> int:
    """Instructions of workload ``name`` run from ``tree`` under callgrind."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    completed = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={output}",
            sys.executable,
            str(Path(__file__).resolve()),
            "--workload",
            name,
        ],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", completed.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no total for {name} in {tree}:\n{completed.stderr}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workload:
        sys.path.insert(0, os.getcwd())
        workload(args.workload)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind (Debian: apt-get install valgrind)")
    trees: list[tuple[str, str]] = []
    for spec in args.tree or ["current=."]:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--tree takes NAME=PATH, got {spec!r}")
        trees.append((name, path))
    with tempfile.TemporaryDirectory() as scratch:
        counts: dict[str, dict[str, int]] = {}
        for name, path in trees:
            tree = Path(path).resolve()
            start = count(tree, "none", Path(scratch) / f"{name}.none")
            counts[name] = {
                load: count(tree, load, Path(scratch) / f"{name}.{load}") - start
                for load in WORKLOADS
            }
            print(f"{name}: " + ", ".join(f"{k} {v / 1e6:,.1f}M" for k, v in counts[name].items()))
    baseline = trees[0][0]
    print(f"\n| workload | {' | '.join(name for name, _ in trees)} |")
    print(f"|---|{'---|' * len(trees)}")
    for load in WORKLOADS:
        cells = []
        for name, _ in trees:
            ratio = counts[name][load] / counts[baseline][load]
            cells.append(f"{counts[name][load] / 1e6:,.1f}M ({ratio:.2f}x)")
        print(f"| {load} | {' | '.join(cells)} |")
    print(f"\nInstructions beyond start-up; ratios against {baseline!r}.")


if __name__ == "__main__":
    main()
