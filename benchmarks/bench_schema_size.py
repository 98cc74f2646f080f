"""ESDL benchmark: parsing schemas of the default size limit (1 MB), in three shapes.

Run: ``python benchmarks/bench_schema_size.py`` (``--runs 1`` for a smoke run). Each shape is
parsed with :func:`esruntime.schema.parse_schema` and timed in CPU seconds (which other
processes on a busy machine do not stretch); the baseline, measured in the same run, is
``json.loads`` of a JSON document of the same size holding the same declarations: the cost of
reading that much structure with a C parser.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esruntime.schema import parse_schema
from esruntime.schema.language import DEFAULT_MAX_BYTES


def repeated(head: str, unit: Callable[[int], str], tail: str, limit: int) -> str:
    """``head``, then ``unit(0)``, ``unit(1)``... while the UTF-8 text fits ``limit``, ``tail``."""
    parts = [head]
    size = len(head.encode()) + len(tail.encode())
    for number in range(limit):
        part = unit(number)
        size += len(part.encode())
        if size > limit:
            break
        parts.append(part)
    parts.append(tail)
    return "".join(parts)


def small_events(limit: int) -> str:
    """Events of three fields: a domain id, a scalar, an optional array."""
    return repeated(
        "",
        lambda i: f"event E{i} {{\n  @a{i}: String\n  b: Int\n  c: [String]?\n}}\n",
        "",
        limit,
    )


def doc_lines(limit: int) -> str:
    """One event documented by a block of ``/// d`` lines that fills the text."""
    return repeated("", lambda _: "/// d\n", "event E {}\n", limit)


def many_fields(limit: int) -> str:
    """One event with as many fields as fit."""
    return repeated("event E {\n", lambda i: f"  f{i}: Int\n", "}\n", limit)


SHAPES: dict[str, Callable[[int], str]] = {
    "small events": small_events,
    "doc lines": doc_lines,
    "many fields": many_fields,
}


def json_twin(shape: str, limit: int) -> str:
    """A JSON document of about ``limit`` bytes holding what the ESDL text of ``shape`` holds."""
    units: dict[str, Callable[[int], Any]] = {
        "small events": lambda i: {
            "event": f"E{i}",
            "fields": [["@a", "String"], ["b", "Int"], ["c", "[String]?"]],
        },
        "doc lines": lambda _: "d",
        "many fields": lambda i: [f"f{i}", "Int"],
    }
    unit = units[shape]
    sample = len(json.dumps([unit(i) for i in range(100)])) / 100
    return json.dumps([unit(i) for i in range(int(limit / sample))])


def cpu_seconds(action: Callable[[], object]) -> float:
    started = time.process_time()
    action()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bytes", type=int, default=DEFAULT_MAX_BYTES)
    args = parser.parse_args()

    print(f"{'shape':<14} {'bytes':>9} {'parse ms':>9} {'json.loads ms':>14} {'ratio':>7}")
    for shape, build in SHAPES.items():
        text = build(args.bytes)
        twin = json_twin(shape, args.bytes)
        parses, loads = [], []
        for _ in range(args.runs):  # interleaved, so that a busy moment falls on both
            parses.append(cpu_seconds(lambda: parse_schema(text)))  # noqa: B023
            loads.append(cpu_seconds(lambda: json.loads(twin)))  # noqa: B023
        parse_s, json_s = statistics.median(parses), statistics.median(loads)
        print(
            f"{shape:<14} {len(text.encode()):>9,} {parse_s * 1000:>9.0f} "
            f"{json_s * 1000:>14.1f} {parse_s / json_s:>6.0f}x"
        )


if __name__ == "__main__":
    main()
