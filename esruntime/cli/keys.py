"""``esruntime keys create | list | revoke``: API keys, straight in the database.

These work without a server (they are how access starts), on the database ``serve`` uses.
A new key is printed once, alone on stdout, so that ``KEY=$(esruntime keys create)`` works.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from esruntime.auth import PERMISSIONS
from esruntime.auth.keys import ApiKeyService
from esruntime.backends import open_backend, scheme_of
from esruntime.cli.database import database_option, require_existing, shown
from esruntime.cli.output import NOT_FOUND, OK, fail, print_json, print_table, say

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    keys = commands.add_parser("keys", help="create, list or revoke API keys (in the database)")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="a new key, printed once")
    database_option(create)
    create.add_argument("--tenant", default="default", help="its tenant (default %(default)s)")
    create.add_argument("--name", default="cli", help="a name to recognise it by")
    create.add_argument(
        "--permission",
        dest="permissions",
        action="append",
        choices=PERMISSIONS,
        metavar="PERMISSION",
        help=f"repeat for several (default admin): {', '.join(PERMISSIONS)}",
    )
    create.set_defaults(run=_create)

    listing = actions.add_parser("list", help="every key (never the secret)")
    database_option(listing)
    listing.add_argument("--tenant", help="only this tenant's keys")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_list)

    revoke = actions.add_parser("revoke", help="revoke a key from its next use on")
    database_option(revoke)
    revoke.add_argument("key_id", help="the key's id (the 16 hex digits after esr_)")
    revoke.set_defaults(run=_revoke)


@contextmanager
def _store(url: str, *, create: bool = False) -> Iterator[ApiKeyService]:
    """The key store at ``url``; a missing SQLite file is made only when ``create``."""
    if scheme_of(url) == "memory":
        raise fail("keys live in a database; memory:// would forget them at once")
    backend = open_backend(url if create else require_existing(url))
    try:
        yield ApiKeyService(backend.api_key_storage())
    finally:
        backend.close()


def _create(args: argparse.Namespace) -> int:
    with _store(args.database_url, create=True) as store:
        issued = store.create(args.tenant, args.name, args.permissions or ["admin"])
    key = issued.key
    print(issued.secret, flush=True)
    say(
        f"Created key {key.key_id} for tenant {key.tenant!r} ({', '.join(key.permissions)}) "
        f"in {shown(args.database_url)}; it is shown only this once."
    )
    return OK


def _list(args: argparse.Namespace) -> int:
    with _store(args.database_url) as store:
        keys = store.list_keys(args.tenant)
    if args.json:
        print_json(keys)
        return OK
    rows = [("KEY_ID", "TENANT", "NAME", "PERMISSIONS", "CREATED_AT", "REVOKED_AT")]
    rows += [
        (
            k.key_id,
            k.tenant,
            k.name,
            ",".join(k.permissions) or "-",
            k.created_at.isoformat(timespec="seconds"),
            k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "-",
        )
        for k in keys
    ]
    print_table(rows)
    return OK


def _revoke(args: argparse.Namespace) -> int:
    with _store(args.database_url) as store:
        revoked = store.revoke(args.key_id)
    if not revoked:
        raise fail(f"no live key has the id {args.key_id!r}", NOT_FOUND)
    print(f"Revoked {args.key_id}")
    return OK
