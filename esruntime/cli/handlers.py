"""``esruntime handlers list | show | upload | rollback | delete``: the tenant's command
handlers."""

from __future__ import annotations

import argparse
from typing import Any

from esruntime.cli.output import OK, REFUSED, print_json, print_table, say
from esruntime.cli.remote import connect, options, read_input
from esruntime.client import HandlerRejected, HandlerUploaded, HandlerVersionInfo

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    remote = options()
    handlers = commands.add_parser(
        "handlers", help="list, show, upload, roll back or delete handlers"
    )
    actions = handlers.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", parents=[remote], help="every handler")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_list)

    show = actions.add_parser("show", parents=[remote], help="one handler's details")
    show.add_argument("name", help="the command name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=_show)

    upload = actions.add_parser("upload", parents=[remote], help="upload a WebAssembly module")
    upload.add_argument("name", help="the command name")
    upload.add_argument("file", help="a .wasm file, or - for stdin")
    upload.add_argument("--version", required=True, help="its semantic version (1.2.0)")
    upload.add_argument("--json", action="store_true", help="print JSON")
    upload.set_defaults(run=_upload)

    rollback = actions.add_parser(
        "rollback",
        parents=[remote],
        help="run another uploaded version from the next command on (back, or forward again)",
    )
    rollback.add_argument("name", help="the command name")
    rollback.add_argument("version", help="a version uploaded before (see `handlers show`)")
    rollback.add_argument("--json", action="store_true", help="print JSON")
    rollback.set_defaults(run=_rollback)

    delete = actions.add_parser("delete", parents=[remote], help="delete an uploaded handler")
    delete.add_argument("name", help="the command name")
    delete.set_defaults(run=_delete)


def _list(args: argparse.Namespace) -> int:
    with connect(args) as client:
        handlers = client.list_handlers()
    if args.json:
        print_json(handlers)
        return OK
    rows = [("NAME", "VERSION", "KIND", "EXECUTIONS_24H", "UPLOADED_AT")]
    rows += [
        (
            h.name,
            h.version,
            h.kind or "",
            str(h.executions_24h),
            h.uploaded_at.isoformat() if h.uploaded_at else "-",
        )
        for h in handlers
    ]
    print_table(rows)
    return OK


def _show(args: argparse.Namespace) -> int:
    with connect(args) as client:
        handler = client.get_handler(args.name)
    if args.json:
        print_json(handler)
        return OK
    size = handler.wasm_size_bytes
    uploaded = handler.uploaded_at
    print_table(
        [
            ("name:", handler.name),
            ("version:", handler.version),
            ("kind:", handler.kind or "-"),
            ("event types:", ", ".join(handler.event_types) or "-"),
            ("domain id fields:", ", ".join(handler.domain_id_fields) or "-"),
            ("uploaded at:", uploaded.isoformat() if uploaded else "-"),
            ("size in bytes:", "-" if size is None else str(size)),
            ("sha256:", handler.sha256 or "-"),
            ("versions:", ", ".join(_version(v) for v in handler.versions) or "-"),
        ]
    )
    return OK


def _version(version: HandlerVersionInfo) -> str:
    return f"{version.version} (running)" if version.current else version.version


def _upload(args: argparse.Namespace) -> int:
    module = read_input(args.file, "the module")
    with connect(args) as client:
        result = client.upload_handler(args.name, module, args.version)
    return _report(args, result, f"the module for {args.name!r} was refused", "Uploaded")


def _rollback(args: argparse.Namespace) -> int:
    with connect(args) as client:
        result = client.make_current(args.name, args.version)
    refused = f"{args.name!r} {args.version} cannot run"
    return _report(args, result, refused, "Now running")


def _report(
    args: argparse.Namespace, result: HandlerUploaded | HandlerRejected, refused: str, done: str
) -> int:
    if args.json:
        print_json(result)
    if isinstance(result, HandlerRejected):
        if not args.json:
            say(f"esruntime: {refused}:")
            for error in result.errors:
                say(f"  {error.code}: {error.message}")
        return REFUSED
    if not args.json:
        types = ", ".join(result.event_types) or "no events"
        print(f"{done} {result.name} {result.version} (reads {types})")
        for warning in result.warnings:
            say(f"warning: {warning}")
    return OK


def _delete(args: argparse.Namespace) -> int:
    with connect(args) as client:
        client.delete_handler(args.name)
    print(f"Deleted {args.name}")
    return OK
