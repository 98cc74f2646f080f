"""``esruntime exec COMMAND JSON`` and ``esruntime health``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from esruntime.cli.output import OK, REFUSED, UNAVAILABLE, fail, print_json, say
from esruntime.cli.remote import connect, options, read_input
from esruntime.client import CommandConflict, CommandOk

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    remote = options()
    execute = commands.add_parser("exec", parents=[remote], help="run a command")
    execute.add_argument("command", help="the command name")
    execute.add_argument(
        "input", help="its input: a JSON object, - for stdin, or @FILE for a file's content"
    )
    execute.add_argument("--idempotency-key", help="run at most once for this key")
    execute.add_argument(
        "--retries", type=int, default=3, help="resends after a conflict (default %(default)s)"
    )
    execute.add_argument("--json", action="store_true", help="print the outcome as JSON")
    execute.set_defaults(run=_execute)

    health = commands.add_parser("health", parents=[remote], help="is the server healthy?")
    health.add_argument("--json", action="store_true", help="print the answer as JSON")
    health.set_defaults(run=_health)


def _input(source: str) -> Any:
    if source == "-" or source.startswith("@"):
        data = read_input(source if source == "-" else source[1:], "the command input")
    else:
        data = source.encode()
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise fail(f"the command input is not JSON: {exc}") from None


def _execute(args: argparse.Namespace) -> int:
    command = _input(args.input)
    with connect(args) as client:
        result = client.execute(
            args.command, command, idempotency_key=args.idempotency_key, retries=args.retries
        )
    if args.json:
        print_json(result)
    if isinstance(result, CommandOk):
        if not args.json:
            replayed = ", replayed" if result.replayed else ""
            print(
                f"ok: position {result.position}, {len(result.events)} event(s), "
                f"{result.retries} retries{replayed}"
            )
            for event in result.events:
                data = json.dumps(event.data, ensure_ascii=False)
                print(f"  {event.id} {event.type} {data}")
        return OK
    if not args.json:
        if isinstance(result, CommandConflict):
            say(f"esruntime: conflict after {result.retries} retries: {result.message}")
        else:
            say(f"esruntime: rejected ({result.code}): {result.message or ''}".rstrip(": "))
    return REFUSED


def _health(args: argparse.Namespace) -> int:
    with connect(args) as client:
        health = client.health()
    if args.json:
        print_json(health)
    else:
        shown = {k: v for k, v in health.details.items() if k != "umadb"}  # says what store says
        details = ", ".join(f"{k} {v}" for k, v in shown.items())
        print(f"{health.status} (version {health.version}{', ' + details if details else ''})")
    return OK if health.healthy else UNAVAILABLE
