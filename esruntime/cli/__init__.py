"""The ``esruntime`` command line.

``serve`` runs the HTTP API; ``keys`` manages API keys in the database; ``schema``,
``handlers``, ``events``, ``exec``, ``scripts`` and ``health`` call a server through
:class:`esruntime.client.Client`; ``demo`` shows the event store at work. Exit codes are those
of :mod:`esruntime.cli.output` (0 ok, 1 refused, 2 usage, 3 auth, 4 not found, 5 unavailable);
see ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from esruntime import __version__
from esruntime.cli import demo, events, execute, handlers, keys, schema, scripts, serve
from esruntime.cli.output import exit_code
from esruntime.cli.remote import base_url_hint
from esruntime.errors import EsruntimeError

__all__ = ["main"]

_INTERRUPTED = 130  # as a shell reports SIGINT
_BROKEN_PIPE = 141  # and SIGPIPE


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="esruntime", description="An embeddable event-sourcing command runtime."
    )
    root.add_argument("--version", action="version", version=f"esruntime {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, keys, schema, handlers, events, execute, scripts, demo):
        module.add_parser(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except EsruntimeError as exc:
        hint = base_url_hint(exc, args.url) if isinstance(getattr(args, "url", None), str) else ""
        print(f"esruntime: {exc}{hint}", file=sys.stderr, flush=True)
        return exit_code(exc)
    except KeyboardInterrupt:
        return _INTERRUPTED
    except BrokenPipeError:  # the reader of stdout went away (| head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return _BROKEN_PIPE
    return code


if __name__ == "__main__":
    sys.exit(main())
