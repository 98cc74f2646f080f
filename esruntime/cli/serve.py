"""``esruntime serve``: the HTTP API of a runtime on a database, under uvicorn.

Access starts in one of two ways. ``--api-key`` (or ``ESRUNTIME_API_KEY``) names a key the
server accepts as an admin of the default tenant, next to the keys stored in the database.
Without it, a server whose database holds no key at all creates an admin key for the default
tenant and prints it, once: the next start finds a key and prints nothing.
"""

from __future__ import annotations

import argparse
import hmac
import importlib
import logging
import os
import socket
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from esruntime.auth import ApiKeyResolver, Principal, PrincipalResolver, bearer_token
from esruntime.cli.database import database_option, shown
from esruntime.cli.output import OK, UNAVAILABLE, fail
from esruntime.errors import EsruntimeError
from esruntime.handlers.python import PythonHandler

if TYPE_CHECKING:
    from esruntime.protocols.scripts import ScriptRunner

__all__ = ["StaticKeyResolver", "add_parser"]

MIN_KEY_LENGTH = 16
# The defaults of esruntime.contrib.uvicorn, which imports uvicorn: not needed for --help.
DEFAULT_MAX_HEADER_BYTES = 16 * 1024
DEFAULT_HEADER_TIMEOUT = 10.0
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def add_parser(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API (uvicorn)")
    database_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="default %(default)s")
    serve.add_argument("--port", type=int, default=8000, help="0 for any free port; default 8000")
    serve.add_argument(
        "--api-key",
        default=os.environ.get("ESRUNTIME_API_KEY"),
        help="also accept this key as an admin of the default tenant (env ESRUNTIME_API_KEY)",
    )
    serve.add_argument("--prefix", default="/v1", help="the API's path prefix (default /v1)")
    serve.add_argument(
        "--handler",
        dest="handlers",
        action="append",
        default=[],
        metavar="MODULE:CLASS",
        help="serve a Python handler class to every tenant (repeat for several)",
    )
    serve.add_argument(
        "--max-header-bytes",
        type=int,
        default=os.environ.get("ESRUNTIME_MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES),
        metavar="BYTES",
        help="refuse a request line and headers larger than this with 431 "
        "(env ESRUNTIME_MAX_HEADER_BYTES; default %(default)s)",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=os.environ.get("ESRUNTIME_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT),
        metavar="SECONDS",
        help="close a connection whose request line and headers take longer, with 408 "
        "(env ESRUNTIME_HEADER_TIMEOUT; default %(default)s)",
    )
    serve.add_argument("--log-level", choices=LOG_LEVELS, default="info")
    serve.set_defaults(run=_serve)


class StaticKeyResolver:
    """Accepts one configured key as an admin of ``tenant``; other keys go to ``fallback``."""

    def __init__(self, key: str, tenant: str, fallback: PrincipalResolver) -> None:
        self._key = key.encode()
        self._principal = Principal(tenant, frozenset({"admin"}), "serve --api-key")
        self._fallback = fallback

    def __call__(self, headers: Mapping[str, str]) -> Principal | None:
        token = bearer_token(headers)
        if token is not None and hmac.compare_digest(token.encode(), self._key):
            return self._principal
        return self._fallback(headers)


def _check_key(key: str | None) -> str | None:
    if key is None or key == "":
        return None
    if len(key) < MIN_KEY_LENGTH or not key.isascii() or not key.isprintable() or " " in key:
        raise fail(
            f"--api-key must be at least {MIN_KEY_LENGTH} printable ASCII characters without spaces"
        )
    return key


def _load_handler(spec: str) -> type[PythonHandler]:
    module_name, sep, name = spec.partition(":")
    if not sep or not module_name or not name:
        raise fail(f"--handler takes MODULE:CLASS, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise fail(f"--handler {spec}: cannot import {module_name!r}: {exc}") from None
    handler = getattr(module, name, None)
    if not (isinstance(handler, type) and issubclass(handler, PythonHandler)):
        raise fail(f"--handler {spec}: {name!r} is not a PythonHandler class in {module_name}")
    return handler


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (port 0: one the OS picks), for uvicorn to listen on."""
    if not 0 <= port <= 65535:
        raise fail(f"--port must be between 0 and 65535, got {port}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)  # so that connections wait from the moment the URL is printed
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", UNAVAILABLE) from None
    return listener


def _script_pool() -> ScriptRunner:
    """Scripts of the server's tenants are untrusted: they run in worker processes."""
    from esruntime.scripts.engines import ProcessPoolRunner

    return ProcessPoolRunner()


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from esruntime.contrib.fastapi import create_app
        from esruntime.contrib.uvicorn import bounded_http_protocol
    except ImportError as exc:
        raise fail(f"esruntime serve needs: pip install 'esruntime[server]' ({exc})") from None
    from esruntime.auth.keys import ApiKeyService
    from esruntime.backends import open_backend
    from esruntime.runtime import Runtime

    static_key = _check_key(args.api_key)
    try:
        protocol = bounded_http_protocol(args.max_header_bytes, args.header_timeout)
    except ValueError as exc:
        raise fail(f"--{str(exc).replace('_', '-')}") from None
    prefix = "/" + args.prefix.strip("/") if args.prefix.strip("/") else ""
    handlers = [_load_handler(spec) for spec in args.handlers]
    listener = _listen(args.host, args.port)
    backend = open_backend(args.database_url)
    keys = ApiKeyService(backend.api_key_storage())
    resolver = None
    if static_key is not None:
        resolver = StaticKeyResolver(static_key, "default", ApiKeyResolver(keys))
    runtime = Runtime(
        backend=backend, api_keys=keys, principal_resolver=resolver, script_runner=_script_pool
    )
    try:
        if handlers:
            runtime.tenant()  # open now, so that its schema checks the handlers before serving
        for handler in handlers:
            try:
                runtime.register(handler)
            except EsruntimeError as exc:
                raise fail(f"--handler {handler.__name__}: {exc}") from None
        if static_key is None and not keys.list_keys():
            issued = keys.create(runtime.default_tenant, "admin (esruntime serve)", ["admin"])
            print(
                f"Created an admin API key for tenant {runtime.default_tenant!r}; "
                "it is shown only this once:",
                flush=True,
            )
            print(issued.secret, flush=True)
        host, port = listener.getsockname()[:2]
        shown_host = f"[{host}]" if ":" in host else host
        print(
            f"Serving http://{shown_host}:{port}{prefix} (database {shown(args.database_url)})",
            flush=True,
        )
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        app = create_app(runtime, prefix=prefix)
        server = uvicorn.Server(uvicorn.Config(app, http=protocol, log_level=args.log_level))
        server.run(sockets=[listener])
        return OK if server.started else UNAVAILABLE
    finally:
        listener.close()
        runtime.close()
