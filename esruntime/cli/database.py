"""The ``--database-url`` option of the commands that work on a database directly.

``serve`` and ``keys create`` make a SQLite database that does not exist yet; the commands that
only read or change one (``keys list``, ``keys revoke``) refuse a missing file rather than
create an empty one at a mistyped path.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from esruntime.cli.output import USAGE, fail
from esruntime.store_url import DEFAULT_DATABASE_URL

__all__ = ["database_option", "require_existing", "shown"]


def database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ESRUNTIME_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="memory://, sqlite:///path or postgresql+psycopg://... "
        "(env ESRUNTIME_DATABASE_URL; default %(default)s)",
    )


def shown(url: str) -> str:
    """A database URL fit to print: its password hidden."""
    if url.startswith("memory:"):
        return url
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


def require_existing(url: str) -> str:
    """``url``, after checking that a SQLite database it names exists: it is not created."""
    if url.startswith("memory:"):
        return url
    from esruntime.backends.sql.connections import parse_database_url

    parsed = parse_database_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri") or parsed.host:
        return url  # a server's database, a SQLite URI, or a URL the store will refuse
    path = parsed.database
    if path and path != ":memory:" and not Path(path).exists():
        raise fail(
            f"no database at {shown(url)}: the file {path} does not exist "
            "(esruntime serve and esruntime keys create make it)",
            USAGE,
        )
    return url
