"""ESDL benchmark: parsing and checking a 1,000-event schema, validating 100,000 payloads.

Run: ``python benchmarks/bench_schema.py`` (``--quick`` for a smoke run). The baseline is the
SQLite conditional append of ``bench_store.py``, measured in the same run: validating an event
should cost well under appending it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_store import EsruntimePeer, conditional_appends
from esruntime import SqlEventStore
from esruntime.schema import parse_schema, validate_event


def schema_text(events: int) -> str:
    """``events`` event declarations of six fields each, with a shared type and enum."""
    parts = [
        "enum Currency { EUR, USD, GBP }",
        "type Address {\n  street: String\n  city: String\n  zip: String?\n}",
    ]
    parts.extend(
        f"/// Event number {n}.\n"
        f"event Event{n} {{\n"
        "  @account_id: String\n"
        "  amount: Float\n"
        "  count: Int = 0\n"
        "  currency: Currency = EUR\n"
        "  address: Address?\n"
        "  tags: [String]\n"
        "}"
        for n in range(events)
    )
    return "\n\n".join(parts) + "\n"


PAYLOAD: dict[str, Any] = {
    "account_id": "acc-42",
    "amount": 12.5,
    "count": 3,
    "currency": "USD",
    "address": {"street": "1 Main St", "city": "Springfield", "zip": None},
    "tags": ["a", "b"],
}


def median_seconds(runs: int, action: Any) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--payloads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.payloads, args.runs = 10_000, 1

    text = schema_text(args.events)
    parse_s = median_seconds(args.runs, lambda: parse_schema(text))
    schema = parse_schema(text)
    event_types = [e.name for e in schema.events]
    size = f"{args.events:,}-event schema ({len(text):,} bytes)"
    print(f"parse + check a {size}: {parse_s * 1000:.1f} ms")

    def validate_all() -> None:
        for n in range(args.payloads):
            validate_event(schema, event_types[n % len(event_types)], PAYLOAD)

    validate_s = median_seconds(args.runs, validate_all)
    per_event_us = validate_s / args.payloads * 1e6
    print(
        f"validate {args.payloads:,} payloads: {validate_s * 1000:.0f} ms, "
        f"{per_event_us:.2f} µs per event, {args.payloads / validate_s:,.0f} events/s"
    )

    directory = Path(tempfile.mkdtemp(prefix="esruntime-bench-"))
    counter = iter(range(1000))
    peer = EsruntimePeer(
        "esruntime SQLite (NORMAL)",
        lambda: SqlEventStore(f"sqlite:///{directory}/append-{next(counter)}.db"),
    )
    appends = statistics.median(conditional_appends(peer, 2000) for _ in range(3))
    peer.close()
    append_us = 1e6 / appends
    print(f"baseline, SQLite conditional append: {appends:,.0f}/s, {append_us:.1f} µs per append")
    ratio = per_event_us / append_us
    print(f"validation costs {ratio:.3f}x an append ({1 / ratio:.0f}x cheaper)")


if __name__ == "__main__":
    main()
