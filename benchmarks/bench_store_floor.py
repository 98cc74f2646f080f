"""SQLite (NORMAL) appends against the bare-sqlite3 floor, alone: the store and the floor of
``bench_store.py`` (the same classes and loops, unchanged) taking turns, round after round.

Run: ``python benchmarks/bench_store_floor.py --rounds 5 --appends 2000 --batches 50``. Each
round measures both, in alternating order; the ratios are the store's rate over the floor's,
with the medians over the rounds. Faster to repeat than ``bench_store.py`` (no other stores),
so that two source trees can be run alternately on a busy machine.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_store import (
    EsruntimePeer,
    SqliteFloor,
    batch_appends,
    conditional_appends,
)
from benchmarks.peers import Peer
from esruntime import EventStore, SqlEventStore, create_store_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=50)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="esruntime-floor-"))
    counter = itertools.count()

    def make() -> EventStore:
        url = f"sqlite:///{workdir}/store-{next(counter)}.db"
        return SqlEventStore(create_store_engine(url, sqlite_synchronous="NORMAL"))

    store = EsruntimePeer("store", make)
    floor = SqliteFloor("NORMAL", workdir)
    rates: dict[str, tuple[list[float], list[float]]] = {"store": ([], []), "floor": ([], [])}
    for round_ in range(args.rounds):
        pair: list[tuple[str, Peer]] = [("store", store), ("floor", floor)]
        for name, peer in pair if round_ % 2 == 0 else pair[::-1]:
            rates[name][0].append(conditional_appends(peer, args.appends))
            rates[name][1].append(batch_appends(peer, args.batches))
    store.close()
    floor.close()
    for column, label in ((0, "conditional appends/s"), (1, "batch events/s")):
        ours, base = rates["store"][column], rates["floor"][column]
        ratios = [a / b for a, b in zip(ours, base, strict=True)]
        print(
            f"{label}: store {statistics.median(ours):,.0f}, floor {statistics.median(base):,.0f};"
            f" store/floor median {statistics.median(ratios):.2f}x"
            f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )


if __name__ == "__main__":
    main()
