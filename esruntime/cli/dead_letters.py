"""``esruntime scripts dead-letters list | show | retry | discard``: the events the tenant's event
scripts gave up on after their retries, through the server's JSON API.

``retry`` runs the script for the event again and exits 0 when the run completed (the dead
letter is gone), 1 when it did not (the letter stays, with one more attempt).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from esruntime.cli.output import OK, REFUSED, print_json, print_table, say
from esruntime.cli.remote import connect
from esruntime.client import Client, DeadLetterInfo

__all__ = ["add_parser"]

Resolve = Callable[[Client, str], str]


def add_parser(actions: Any, remote: argparse.ArgumentParser, resolve: Resolve) -> None:
    """Add ``dead-letters`` to the ``scripts`` actions; ``resolve`` finds a script by id or
    name."""
    letters = actions.add_parser(
        "dead-letters", help="the events event scripts gave up on: list, retry, discard"
    )
    commands = letters.add_subparsers(dest="letters_action", required=True, metavar="ACTION")

    listing = commands.add_parser("list", parents=[remote], help="oldest event first")
    listing.add_argument("--script", help="only this script's (its id or name)")
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--limit", type=int, default=20, help="1 to 100 (default 20)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=lambda args: _list(args, resolve))

    show = commands.add_parser("show", parents=[remote], help="one dead letter")
    show.add_argument("letter", help="the dead letter's id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=_show)

    retry = commands.add_parser(
        "retry", parents=[remote], help="run the script for the event again, now"
    )
    retry.add_argument("letter", help="the dead letter's id")
    retry.add_argument("--json", action="store_true", help="print the execution and the letter")
    retry.set_defaults(run=_retry)

    discard = commands.add_parser("discard", parents=[remote], help="forget it without running")
    discard.add_argument("letter", help="the dead letter's id")
    discard.set_defaults(run=_discard)


def _list(args: argparse.Namespace, resolve: Resolve) -> int:
    with connect(args) as client:
        script_id = None if args.script is None else resolve(client, args.script)
        page = client.list_dead_letters(script_id=script_id, offset=args.offset, limit=args.limit)
    if args.json:
        print_json(page)
        return OK
    rows = [("ID", "SCRIPT", "EVENT_TYPE", "POSITION", "ATTEMPTS", "ERROR")]
    rows += [
        (x.id, x.script_id, x.event_type, str(x.position), str(x.attempts), _line(x.error))
        for x in page.dead_letters
    ]
    print_table(rows)
    say(f"{len(page.dead_letters)} of {page.total} dead letter(s) from {page.offset}")
    return OK


def _line(error: str, width: int = 60) -> str:
    """The error's first line, cut to ``width`` characters for a table."""
    first = error.splitlines()[0] if error else "-"
    return first if len(first) <= width else first[: width - 1] + "…"


def _show(args: argparse.Namespace) -> int:
    with connect(args) as client:
        letter = client.get_dead_letter(args.letter)
    if args.json:
        print_json(letter)
    else:
        _print_letter(letter)
    return OK


def _print_letter(letter: DeadLetterInfo) -> None:
    print_table(
        [
            ("id:", letter.id),
            ("script:", letter.script_id),
            ("event:", f"{letter.event_id} ({letter.event_type}, position {letter.position})"),
            ("attempts:", str(letter.attempts)),
            ("created:", letter.created_at.isoformat()),
            ("error:", letter.error),
        ]
    )


def _retry(args: argparse.Namespace) -> int:
    with connect(args) as client:
        retried = client.retry_dead_letter(args.letter)
    execution = retried.execution
    if args.json:
        print_json(retried)
    elif execution.status == "completed":
        print(json.dumps(execution.output, ensure_ascii=False, indent=2))
        say(f"execution {execution.id} completed; the dead letter is gone")
    else:
        error = execution.error
        reason = f"{error.name}: {error.message}" if error else "no error recorded"
        attempts = retried.dead_letter.attempts if retried.dead_letter else "?"
        say(
            f"esruntime: execution {execution.id} {execution.status}: {reason}; "
            f"the dead letter stays ({attempts} attempts)"
        )
    return OK if execution.status == "completed" else REFUSED


def _discard(args: argparse.Namespace) -> int:
    with connect(args) as client:
        client.discard_dead_letter(args.letter)
    print(f"Discarded {args.letter}")
    return OK
