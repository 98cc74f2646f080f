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
from esruntime.errors import ApiError, EsruntimeError

__all__ = ["base_url_hint", "connect", "options", "read_input", "read_text"]


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


def base_url_hint(exc: EsruntimeError, url: str) -> str:
    """A hint to add to an error that says ``url`` is not the API's base URL: a 404 whose body
    is not the API's means the path leads elsewhere, most often because the prefix is missing."""
    if not (isinstance(exc, ApiError) and exc.status == 404 and exc.code is None):
        return ""
    if url.rstrip("/").endswith("/v1"):
        return f"; no esruntime API answers under {url}: is it the prefix serve was given?"
    return (
        f"; no esruntime API answers under {url}: the path lacks the API's prefix, "
        f"did you mean {url.rstrip('/')}/v1?"
    )


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
