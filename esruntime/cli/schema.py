"""``esruntime schema show | push | validate``: the tenant's ESDL schema on a server."""

from __future__ import annotations

import argparse
from typing import Any

from esruntime.cli.output import OK, REFUSED, print_json, say
from esruntime.cli.remote import connect, options, read_text
from esruntime.client import SchemaAccepted, SchemaRejected, SchemaRejectedError

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    remote = options()
    schema = commands.add_parser("schema", help="show, push or validate the ESDL schema")
    actions = schema.add_subparsers(dest="action", required=True, metavar="ACTION")

    show = actions.add_parser("show", parents=[remote], help="print the current schema's ESDL")
    show.add_argument("--json", action="store_true", help="print the whole description as JSON")
    show.set_defaults(run=_show)

    for name, run, summary in (
        ("push", _push, "store a new version of the schema"),
        ("validate", _validate, "what a push would do, storing nothing"),
    ):
        action = actions.add_parser(name, parents=[remote], help=summary)
        action.add_argument("file", help="an ESDL file, or - for stdin")
        action.add_argument(
            "--force", action="store_true", help="accept changes that break stored events"
        )
        action.add_argument("--json", action="store_true", help="print the answer as JSON")
        action.set_defaults(run=run)


def _show(args: argparse.Namespace) -> int:
    with connect(args) as client:
        schema = client.get_schema()
    if args.json:
        print_json(schema)
    else:
        print(schema.text, end="" if schema.text.endswith("\n") else "\n")
    return OK


def _push(args: argparse.Namespace) -> int:
    text = read_text(args.file, "the schema file")
    result: SchemaAccepted | SchemaRejected
    with connect(args) as client:
        try:
            result = client.push_schema(text, force=args.force)
        except SchemaRejectedError as rejected:
            result = rejected.result
    return _report(args, result, "stored as")


def _validate(args: argparse.Namespace) -> int:
    text = read_text(args.file, "the schema file")
    with connect(args) as client:
        result = client.validate_schema(text, force=args.force)
    return _report(args, result, "valid; it would be")


def _report(args: argparse.Namespace, result: SchemaAccepted | SchemaRejected, done: str) -> int:
    if args.json:
        print_json(result)
    if isinstance(result, SchemaRejected):
        if not args.json:
            say("esruntime: the schema change breaks stored events:")
            for change in result.breaking_changes:
                say(f"  {change.event}: {change.message}")
            say("Push with --force to override (it creates a new schema version).")
        return REFUSED
    if not args.json:
        changes = result.changes
        parts = [
            f"{label} {', '.join(names)}"
            for label, names in (
                ("added", changes.added_events),
                ("modified", changes.modified_events),
                ("removed", changes.removed_events),
            )
            if names
        ]
        print(f"Schema {done} version {result.version}: {'; '.join(parts) or 'no changes'}")
    return OK
