"""``esruntime scripts list | show | create | update | delete | run | executions | versions |
rollback | dead-letters``: the tenant's JavaScript scripts, through the server's JSON API.

A script is named by its id or by its exact name. ``run`` prints the script's output as JSON
and exits 0 when the run completed, 1 when it failed, timed out or was cancelled.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from esruntime.cli import dead_letters
from esruntime.cli.output import NOT_FOUND, OK, REFUSED, fail, print_json, print_table, say
from esruntime.cli.remote import connect, options, read_input, read_text
from esruntime.client import Client, ScriptExecution, ScriptInfo

__all__ = ["add_parser"]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TYPES = ("scheduled", "http", "event", "oneoff", "embedded")
_STATUSES = ("draft", "active", "paused", "disabled", "archived")
_EXECUTION_STATUSES = ("pending", "running", "completed", "failed", "timeout", "cancelled")


def add_parser(commands: Any) -> None:
    remote = options()
    scripts = commands.add_parser("scripts", help="list, create, change and run scripts")
    actions = scripts.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", parents=[remote], help="the tenant's scripts")
    listing.add_argument("--type", choices=_TYPES)
    listing.add_argument("--status", choices=_STATUSES)
    listing.add_argument("--search", help="in the name or description, any case")
    listing.add_argument("--page", type=int, default=1)
    listing.add_argument("--per-page", type=int, default=20, help="1 to 100 (default 20)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_list)

    show = actions.add_parser("show", parents=[remote], help="one script, with its source")
    show.add_argument("script", help="its id or name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=_show)

    create = actions.add_parser("create", parents=[remote], help="a new script from a file")
    create.add_argument("file", help="the JavaScript source: a file, or - for stdin")
    create.add_argument("--name", required=True, help="3 to 100 characters, unique")
    create.add_argument("--type", required=True, choices=_TYPES)
    _field_options(create)
    create.set_defaults(run=_create)

    update = actions.add_parser(
        "update", parents=[remote], help="change a script (a new source is a new version)"
    )
    update.add_argument("script", help="its id or name")
    update.add_argument("file", nargs="?", help="a new JavaScript source, or - for stdin")
    update.add_argument("--name", help="a new name")
    update.add_argument("--type", choices=_TYPES)
    _field_options(update)
    update.set_defaults(run=_update)

    delete = actions.add_parser("delete", parents=[remote], help="delete a script")
    delete.add_argument("script", help="its id or name")
    delete.set_defaults(run=_delete)

    run = actions.add_parser("run", parents=[remote], help="run a script and print its output")
    run.add_argument("script", help="its id or name")
    run.add_argument(
        "input",
        nargs="?",
        default="{}",
        help="context.input: a JSON object, - for stdin, or @FILE (default {})",
    )
    run.add_argument("--json", action="store_true", help="print the whole execution as JSON")
    run.set_defaults(run=_run)

    executions = actions.add_parser(
        "executions", parents=[remote], help="a script's executions, newest first, or one"
    )
    executions.add_argument("script", help="its id or name")
    executions.add_argument("execution", nargs="?", help="one execution's id")
    executions.add_argument("--status", choices=_EXECUTION_STATUSES)
    executions.add_argument("--offset", type=int, default=0)
    executions.add_argument("--limit", type=int, default=20, help="1 to 100 (default 20)")
    executions.add_argument("--json", action="store_true", help="print JSON")
    executions.set_defaults(run=_executions)

    versions = actions.add_parser("versions", parents=[remote], help="a script's versions")
    versions.add_argument("script", help="its id or name")
    versions.add_argument("--json", action="store_true", help="print JSON")
    versions.set_defaults(run=_versions)

    rollback = actions.add_parser(
        "rollback", parents=[remote], help="make a stored version's source current again"
    )
    rollback.add_argument("script", help="its id or name")
    rollback.add_argument("version", type=int, help="a version number (see `scripts versions`)")
    rollback.add_argument("--json", action="store_true", help="print JSON")
    rollback.set_defaults(run=_rollback)

    dead_letters.add_parser(actions, remote, _resolve)


def _field_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--description")
    parser.add_argument("--status", choices=_STATUSES)
    parser.add_argument("--cron", dest="cron_expression", help="scheduled: cron or @daily...")
    parser.add_argument("--timezone", help="scheduled: an IANA time zone (default UTC)")
    parser.add_argument("--http-path", help="http: the path under the hooks prefix")
    parser.add_argument(
        "--method", dest="http_methods", action="append", help="http: repeat for several"
    )
    parser.add_argument(
        "--public",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="http: the route runs without an API key",
    )
    parser.add_argument(
        "--event-type", dest="event_types", action="append", help="event: repeat for several"
    )
    parser.add_argument(
        "--limit",
        dest="limits",
        action="append",
        metavar="NAME=VALUE",
        help="a limit, e.g. max_execution_time_ms=5000 (repeat for several)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


_FIELDS = (
    "name",
    "type",
    "description",
    "status",
    "cron_expression",
    "timezone",
    "http_path",
    "http_methods",
    "public",
    "event_types",
)


def _given_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields = {name: getattr(args, name) for name in _FIELDS if getattr(args, name) is not None}
    if args.limits:
        limits: dict[str, int] = {}
        for item in args.limits:
            name, sep, value = item.partition("=")
            if not sep or not name.strip() or not value.strip().isdigit():
                raise fail(f"--limit takes NAME=INTEGER, got {item!r}")
            limits[name.strip()] = int(value)
        fields["limits"] = limits
    return fields


def _resolve(client: Client, ref: str) -> str:
    """The id of the script ``ref`` names: an id as it is, else the script with that name."""
    if _UUID.fullmatch(ref):
        return ref
    page = client.list_scripts(search=ref, per_page=100)
    for script in page.scripts:
        if script.name == ref:
            return script.id
    raise fail(f"no script has the id or name {ref!r}", NOT_FOUND)


def _list(args: argparse.Namespace) -> int:
    with connect(args) as client:
        page = client.list_scripts(
            type=args.type,
            status=args.status,
            search=args.search,
            page=args.page,
            per_page=args.per_page,
        )
    if args.json:
        print_json(page)
        return OK
    rows = [("ID", "NAME", "TYPE", "STATUS", "VERSION", "TRIGGER")]
    rows += [(s.id, s.name, s.type, s.status, str(s.version), _trigger(s)) for s in page.scripts]
    print_table(rows)
    say(f"page {page.page} of {page.pages}, {page.total} script(s)")
    return OK


def _trigger(script: ScriptInfo) -> str:
    if script.type == "scheduled":
        return f"{script.cron_expression} ({script.timezone})"
    if script.type == "http":
        public = " public" if script.public else ""
        return f"{','.join(script.http_methods)} {script.http_path}{public}"
    if script.type == "event":
        return ", ".join(script.event_types)
    return "-"


def _show(args: argparse.Namespace) -> int:
    with connect(args) as client:
        script = client.get_script(_resolve(client, args.script))
    if args.json:
        print_json(script)
        return OK
    _print_script(script)
    print()
    print(script.source or "")
    return OK


def _print_script(script: ScriptInfo) -> None:
    limits = ", ".join(f"{k}={v}" for k, v in script.limits.items())
    runs = script.next_runs
    print_table(
        [
            ("id:", script.id),
            ("name:", script.name),
            ("type:", script.type),
            ("status:", script.status),
            ("trigger:", _trigger(script)),
            ("version:", str(script.version)),
            ("description:", script.description or "-"),
            ("limits:", limits),
            ("updated:", f"{script.updated_at.isoformat()} by {script.updated_by or '-'}"),
            *(("next runs:" if n == 0 else "", run.isoformat()) for n, run in enumerate(runs)),
        ]
    )


def _create(args: argparse.Namespace) -> int:
    source = read_text(args.file, "the script")
    fields = _given_fields(args)
    with connect(args) as client:
        script = client.create_script(fields.pop("name"), fields.pop("type"), source, **fields)
    return _report(args, script, "Created")


def _update(args: argparse.Namespace) -> int:
    changes = _given_fields(args)
    if args.file is not None:
        changes["source"] = read_text(args.file, "the script")
    if not changes:
        raise fail("nothing to change: give a source file or a field option")
    with connect(args) as client:
        script = client.update_script(_resolve(client, args.script), **changes)
    return _report(args, script, "Updated")


def _report(args: argparse.Namespace, script: ScriptInfo, done: str) -> int:
    if args.json:
        print_json(script)
    else:
        print(f"{done} {script.name} ({script.id}), version {script.version}, {script.status}")
    return OK


def _delete(args: argparse.Namespace) -> int:
    with connect(args) as client:
        script_id = _resolve(client, args.script)
        client.delete_script(script_id)
    print(f"Deleted {args.script}")
    return OK


def _input(source: str) -> Any:
    if source == "-" or source.startswith("@"):
        data = read_input(source if source == "-" else source[1:], "the script input")
    else:
        data = source.encode()
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise fail(f"the script input is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise fail("the script input must be a JSON object")
    return value


def _run(args: argparse.Namespace) -> int:
    given = _input(args.input)
    with connect(args) as client:
        execution = client.execute_script(_resolve(client, args.script), given)
    if args.json:
        print_json(execution)
    elif execution.status == "completed":
        print(json.dumps(execution.output, ensure_ascii=False, indent=2))
    if execution.status == "completed":
        return OK
    if not args.json:
        say(f"esruntime: execution {execution.id} {execution.status}: {_failure(execution)}")
    return REFUSED


def _failure(execution: ScriptExecution) -> str:
    error = execution.error
    if error is None:
        return "no error recorded"
    where = f" (line {error.line})" if error.line is not None else ""
    return f"{error.name}: {error.message}{where}"


def _executions(args: argparse.Namespace) -> int:
    with connect(args) as client:
        script_id = _resolve(client, args.script)
        if args.execution is not None:
            execution = client.get_execution(script_id, args.execution)
            if args.json:
                print_json(execution)
            else:
                _print_execution(execution)
            return OK
        page = client.list_executions(
            script_id, status=args.status, offset=args.offset, limit=args.limit
        )
    if args.json:
        print_json(page)
        return OK
    rows = [("ID", "STATUS", "TRIGGER", "VERSION", "DURATION_MS", "CREATED_AT")]
    rows += [
        (
            e.id,
            e.status,
            str(e.trigger.get("type", "-")),
            str(e.script_version),
            f"{e.metrics.get('duration_ms', 0):.1f}",
            e.created_at.isoformat() if e.created_at else "-",
        )
        for e in page.executions
    ]
    print_table(rows)
    say(f"{len(page.executions)} of {page.total} execution(s) from {page.offset}")
    return OK


def _execution_trigger(execution: ScriptExecution) -> str:
    """The trigger's type, and for an event run its event: ``event AccountOpened evt_...``."""
    kind = str(execution.trigger.get("type", "-"))
    if execution.event_id is None:
        return kind
    event_type = execution.trigger.get("eventType")
    return " ".join(str(part) for part in (kind, event_type, execution.event_id) if part)


def _print_execution(execution: ScriptExecution) -> None:
    print_table(
        [
            ("id:", execution.id),
            ("status:", execution.status),
            ("trigger:", _execution_trigger(execution)),
            ("version:", str(execution.script_version)),
            ("input:", json.dumps(execution.input, ensure_ascii=False)),
            ("output:", json.dumps(execution.output, ensure_ascii=False)),
            ("error:", _failure(execution) if execution.error else "-"),
        ]
    )
    for entry in execution.logs:
        print(f"  [{entry.get('level')}] {entry.get('message')}")


def _versions(args: argparse.Namespace) -> int:
    with connect(args) as client:
        versions = client.list_script_versions(_resolve(client, args.script))
    if args.json:
        print_json(versions)
        return OK
    rows = [("VERSION", "CREATED_AT", "CREATED_BY", "RESTORED_FROM")]
    rows += [
        (
            str(v.version),
            v.created_at.isoformat(),
            v.created_by or "-",
            "-" if v.restored_from is None else str(v.restored_from),
        )
        for v in versions
    ]
    print_table(rows)
    return OK


def _rollback(args: argparse.Namespace) -> int:
    with connect(args) as client:
        script = client.rollback_script(_resolve(client, args.script), args.version)
    return _report(args, script, f"Rolled back to version {args.version}:")
