"""The options of every command that talks to a server, and the client they make.

``--url`` (or ``ESRUNTIME_URL``, default ``http://127.0.0.1:8000/v1``), ``--api-key`` (or
``ESRUNTIME_API_KEY``) and ``--timeout``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from esruntime.cli.output import fail
from esruntime.client import DEFAULT_URL, Client

__all__ = ["connect", "options", "read_input", "read_text"]


def options() -> argparse.ArgumentParser:
    """A parent parser with the connection options, for every remote command."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("server")
    group.add_argument(
        "--url",
        default=os.environ.get("ESRUNTIME_URL", DEFAULT_URL),
        help="the API's base URL, with its prefix (env ESRUNTIME_URL; default %(default)s)",
    )
    group.add_argument(
        "--api-key",
        default=os.environ.get("ESRUNTIME_API_KEY"),
        help="the API key (env ESRUNTIME_API_KEY)",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for each answer (default %(default)s)",
    )
    return parser


def connect(args: argparse.Namespace) -> Client:
    return Client(args.url, api_key=args.api_key or None, timeout=args.timeout)


def read_input(source: str, what: str) -> bytes:
    """The bytes of a file, or of stdin for ``-``."""
    try:
        if source == "-":
            return sys.stdin.buffer.read()
        return Path(source).read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {what} {source!r}: {exc.strerror or exc}") from None


def read_text(source: str, what: str) -> str:
    data = read_input(source, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"{what} {source!r} is not UTF-8: byte {exc.start} is invalid") from None
