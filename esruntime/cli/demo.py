"""``esruntime demo``: append and read a few events, and show a stale decision refused.

The demo keeps to a database of its own (``esruntime-demo.db`` by default): its events are not
those of any schema, and must not land in the tenant a server keeps in ``esruntime.db``. It
reads no ``ESRUNTIME_DATABASE_URL`` for the same reason; ``--database-url`` chooses another.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from esruntime.backends import open_event_store
from esruntime.cli.database import shown
from esruntime.errors import EsruntimeError, IntegrityError
from esruntime.events import AppendCondition, Event, Query, QueryItem

__all__ = ["DEMO_DATABASE_URL", "add_parser"]

DEMO_DATABASE_URL = "sqlite:///esruntime-demo.db"


def add_parser(commands: Any) -> None:
    demo = commands.add_parser("demo", help="append and read a few events (in their own database)")
    demo.add_argument(
        "--database-url",
        default=DEMO_DATABASE_URL,
        help="the demo's own database: memory://, sqlite:///path or postgresql+psycopg://... "
        "(default %(default)s; never the server's ESRUNTIME_DATABASE_URL)",
    )
    demo.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        return _demo(args.database_url)
    except (EsruntimeError, ValueError) as exc:
        print(f"esruntime: {exc}", file=sys.stderr)
        return 1


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
        print(f"Appended to {account} in {shown(database_url)}; store head is now {head}.")
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
