"""``esruntime events query | get``: read the tenant's events (JSON Lines, oldest first)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from esruntime.cli.output import OK, fail, print_json, say, to_json
from esruntime.cli.remote import connect, options

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    remote = options()
    events = commands.add_parser("events", help="query events, or get one by id")
    actions = events.add_subparsers(dest="action", required=True, metavar="ACTION")

    query = actions.add_parser(
        "query", parents=[remote], help="matching events, one JSON object a line"
    )
    query.add_argument(
        "--type",
        dest="types",
        action="append",
        metavar="TYPE",
        help="an event type (repeat for several; default: every type)",
    )
    query.add_argument(
        "--domain-id",
        dest="domain_ids",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="events with this domain id (repeat a field for any of its values)",
    )
    query.add_argument(
        "--after", type=int, default=0, metavar="POSITION", help="events after this position"
    )
    query.add_argument("--limit", type=int, default=100, help="events per page (1 to 1000)")
    query.add_argument("--all", action="store_true", help="every page, not only the first")
    query.set_defaults(run=_query)

    get = actions.add_parser("get", parents=[remote], help="one event, with its metadata")
    get.add_argument("event_id", help="the event's id (evt_...)")
    get.set_defaults(run=_get)


def _domain_ids(pairs: list[str]) -> dict[str, list[str]] | None:
    found: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise fail(f"--domain-id takes FIELD=VALUE, got {pair!r}")
        found.setdefault(name, []).append(value)
    return found or None


def _line(event: Any) -> str:
    return json.dumps(to_json(event), ensure_ascii=False, separators=(",", ":"))


def _query(args: argparse.Namespace) -> int:
    domain_ids = _domain_ids(args.domain_ids)
    with connect(args) as client:
        if args.all:
            for event in client.iter_events(
                args.types, domain_ids, after_position=args.after, page_size=args.limit
            ):
                print(_line(event), flush=False)
            return OK
        page = client.query_events(
            args.types, domain_ids, after_position=args.after, limit=args.limit
        )
    for event in page.events:
        print(_line(event))
    if page.has_more:
        say(f"More events match: --after {page.next_position} (or --all).")
    return OK


def _get(args: argparse.Namespace) -> int:
    with connect(args) as client:
        print_json(client.get_event(args.event_id))
    return OK
