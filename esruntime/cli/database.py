"""The ``--database-url`` option of the commands that work on a database directly.

``serve`` and ``keys create`` make a SQLite database that does not exist yet; the commands that
only read or change one (``keys list``, ``keys revoke``) refuse a missing file rather than
create an empty one at a mistyped path.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from esruntime.backends import DEFAULT_DATABASE_URL, scheme_of, sqlite_file
from esruntime.cli.output import USAGE, fail

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
    if scheme_of(url) == "memory":
        return url
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


def require_existing(url: str) -> str:
    """``url``, after checking that a SQLite database it names exists: it is not created."""
    path = sqlite_file(url)  # None for a server's database, a SQLite URI or memory://
    if path is not None and not Path(path).exists():
        raise fail(
            f"no database at {shown(url)}: the file {path} does not exist "
            "(esruntime serve and esruntime keys create make it)",
            USAGE,
        )
    return url
