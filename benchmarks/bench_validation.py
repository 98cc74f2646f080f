"""Event data validation and upcasting, beside the JSON encoding that every append does anyway.

Run: ``python benchmarks/bench_validation.py`` (``--quick`` for a smoke run). Each figure is the
median, over ``--repeat`` repeats, of the mean time of ``--number`` calls, in microseconds; the
ratio compares it with the baseline measured in the same run: encoding the same data as the
stores do (``esruntime.encoding``'s encoder settings), which every append pays before any write.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esruntime.schema.model import Default, EnumDecl, EventDecl, Field, Schema, TypeDecl, TypeRef
from esruntime.schema.validation import upcast, validate_event

SCHEMA = Schema(
    events=(
        EventDecl(
            "ReceivedFunds",
            (
                Field("account_id", TypeRef("String"), domain_id=True),
                Field("amount", TypeRef("Float")),
                Field("sender_id", TypeRef("Uuid", optional=True), domain_id=True),
                Field("received_at", TypeRef("Timestamp")),
                Field("currency", TypeRef("Currency"), default=Default("EUR", enum_variant=True)),
            ),
        ),
        EventDecl(
            "Deposited",
            (
                Field("account_id", TypeRef("String"), domain_id=True),
                Field("amount", TypeRef("Float")),
                Field("count", TypeRef("Int")),
                Field("note", TypeRef("String", optional=True)),
                Field("currency", TypeRef("Currency"), default=Default("EUR", enum_variant=True)),
            ),
        ),
        EventDecl(
            "OrderPlaced",
            (
                Field("order_id", TypeRef("Uuid"), domain_id=True),
                Field("lines", TypeRef(item=TypeRef("Line"))),
            ),
        ),
    ),
    types=(
        TypeDecl(
            "Line",
            (
                Field("sku", TypeRef("String")),
                Field("quantity", TypeRef("Int")),
                Field("price", TypeRef("Float")),
                Field("gift", TypeRef("Bool", optional=True)),
            ),
        ),
    ),
    enums=(EnumDecl("Currency", ("EUR", "USD", "GBP")),),
)
ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
UUID = "8d1b7a52-3c1e-4f5e-9a7b-2d3c4e5f6a7b"
RECEIVED = {
    "account_id": "acc-1",
    "amount": 12.5,
    "sender_id": UUID,
    "received_at": "2024-05-01T12:34:56.789Z",
    "currency": "EUR",
}
DEPOSITED = {"account_id": "acc-1", "amount": 12.5, "count": 3, "note": "hi", "currency": "EUR"}
OLD_DEPOSITED = {"account_id": "acc-1", "amount": 12.5, "count": 3}
ORDER = {
    "order_id": UUID,
    "lines": [{"sku": f"SKU-{i}", "quantity": i, "price": 9.99, "gift": None} for i in range(10)],
}

CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("validate", "ReceivedFunds", RECEIVED, "String, Float, Uuid?, Timestamp, enum"),
    ("validate", "Deposited", DEPOSITED, "String, Float, Int, String?, enum"),
    ("validate", "OrderPlaced", ORDER, "Uuid and 10 lines of String, Int, Float, Bool?"),
    ("upcast", "Deposited", DEPOSITED, "complete: the same object back"),
    ("upcast", "Deposited", OLD_DEPOSITED, "older: 2 fields filled"),
]


def median_us(call: Callable[[], object], number: int, repeat: int) -> float:
    runs = timeit.repeat(call, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args()
    number, repeat = (200, 3) if args.quick else (args.number, args.repeat)

    print(f"{'operation':<10} {'event':<14} {'us':>7} {'x JSON':>7}  shape")
    for operation, event_type, data, shape in CASES:
        function = validate_event if operation == "validate" else upcast
        measured = median_us(partial(function, SCHEMA, event_type, data), number, repeat)
        baseline = median_us(partial(ENCODER.encode, data), number, repeat)
        ratio = measured / baseline
        print(f"{operation:<10} {event_type:<14} {measured:>7.2f} {ratio:>7.2f}  {shape}")


if __name__ == "__main__":
    main()
