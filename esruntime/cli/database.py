"""The ``--database-url`` option of the commands that work on a database directly."""

from __future__ import annotations

import argparse
import os

from esruntime.store_url import DEFAULT_DATABASE_URL

__all__ = ["database_option", "shown"]


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
