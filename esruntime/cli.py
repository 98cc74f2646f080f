"""The ``esruntime`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from esruntime import __version__
from esruntime.errors import EsruntimeError, IntegrityError
from esruntime.events import AppendCondition, Event, Query, QueryItem
from esruntime.store_url import DEFAULT_DATABASE_URL, open_event_store

__all__ = ["main"]


def _demo(database_url: str) -> int:
    """Append a small bank-account history, read it back, and show a refused stale decision."""
    store = open_event_store(database_url)
    try:
        account = f"account:demo-{(store.head() or 0) + 1}"
        opened = Query([QueryItem(tags=[account])])
        first = store.append(
            Event("AccountOpened", {"owner": "Ada"}, [account]), AppendCondition(opened)
        )
        head = store.append(
            Event("MoneyDeposited", {"amount": 100}, [account]),
            AppendCondition(opened, after=first),
        )
        print(f"Appended to {account} in {database_url}; store head is now {head}.")
        for event in store.read(opened):
            print(f"  #{event.position} {event.type} {event.data} tags={list(event.tags)}")
        try:
            store.append(
                Event("MoneyWithdrawn", {"amount": 150}, [account]),
                AppendCondition(opened, after=first),
            )
        except IntegrityError as exc:
            print(f"A decision made on stale facts was refused: {exc}")
        balance = sum(
            e.data["amount"] if e.type == "MoneyDeposited" else -e.data["amount"]
            for e in store.read(opened)
            if e.type in ("MoneyDeposited", "MoneyWithdrawn")
        )
        print(f"Balance of {account}: {balance}")
    finally:
        store.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="esruntime", description=__doc__)
    parser.add_argument("--version", action="version", version=f"esruntime {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="append and read a few events")
    demo.add_argument(
        "--database-url",
        default=os.environ.get("ESRUNTIME_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="memory://, sqlite:///path or postgresql://... (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        return _demo(args.database_url)
    except (EsruntimeError, ValueError) as exc:
        print(f"esruntime: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
