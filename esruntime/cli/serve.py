"""``esruntime serve``: the HTTP API of a runtime on a database, under uvicorn.

Access starts in one of two ways. ``--api-key`` (or ``ESRUNTIME_API_KEY``) names a key the
server accepts as an admin of the default tenant, next to the keys stored in the database.
Without it, a server whose database holds no key at all creates an admin key for the default
tenant and prints it, once: the next start finds a key and prints nothing.

The app's lifespan runs the runtime's background workers (the event triggers) while it serves.
``--workers N`` serves from N forked processes on the one socket (:mod:`esruntime.cli.workers`);
this process then only prints the key and supervises them.
"""

from __future__ import annotations

import argparse
import hmac
import importlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from esruntime.auth import ApiKeyResolver, Principal, PrincipalResolver, bearer_token
from esruntime.cli.database import database_option, shown
from esruntime.cli.output import OK, UNAVAILABLE, USAGE, fail
from esruntime.errors import ConfigurationError, EsruntimeError
from esruntime.handlers.python import PythonHandler

if TYPE_CHECKING:
    from esruntime.protocols.scripts import ScriptRunner
    from esruntime.runtime import Runtime
    from esruntime.scripts.settings import ScriptSettings
    from esruntime.web.pages import PagesConfig

__all__ = ["StaticKeyResolver", "add_parser", "script_settings", "serving_processes"]

MIN_KEY_LENGTH = 16
# The defaults of esruntime.contrib.uvicorn, which imports uvicorn: not needed for --help.
DEFAULT_MAX_HEADER_BYTES = 16 * 1024
DEFAULT_HEADER_TIMEOUT = 10.0
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
# The defaults of esruntime.web.hooks, which imports the web layer: not needed for --help.
DEFAULT_HOOKS_PREFIX = "/hooks"
DEFAULT_HOOK_BODY_BYTES = 256 * 1024
# The defaults of esruntime.contrib.fastapi.threads and esruntime.auth.keys, kept in step by a
# test: importing them here would import FastAPI for --help.
DEFAULT_THREADS = 4
DEFAULT_KEY_CACHE_SECONDS = 1.0


def add_parser(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API (uvicorn)")
    database_option(serve)
    serve.add_argument(
        "--event-store-url",
        default=os.environ.get("ESRUNTIME_EVENT_STORE_URL"),
        help="keep the events on this UmaDB server (umadb://host:port?...) and everything else "
        "in --database-url (env ESRUNTIME_EVENT_STORE_URL)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="default %(default)s")
    serve.add_argument("--port", type=int, default=8000, help="0 for any free port; default 8000")
    serve.add_argument(
        "--api-key",
        default=os.environ.get("ESRUNTIME_API_KEY"),
        help="also accept this key as an admin of the default tenant (env ESRUNTIME_API_KEY)",
    )
    serve.add_argument("--prefix", default="/v1", help="the API's path prefix (default /v1)")
    serve.add_argument(
        "--pages-prefix",
        default="/scripts",
        help="where the script pages are served (default /scripts; '' for none); "
        "ESRUNTIME_PAGES_SECRET signs their sessions",
    )
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
    serve.add_argument(
        "--threads",
        type=int,
        default=os.environ.get("ESRUNTIME_THREADS", DEFAULT_THREADS),
        metavar="N",
        help="how many threads run the API's calls (a script's run excepted) "
        "(env ESRUNTIME_THREADS; default %(default)s)",
    )
    serve.add_argument(
        "--key-cache-seconds",
        type=float,
        default=os.environ.get("ESRUNTIME_KEY_CACHE_SECONDS", DEFAULT_KEY_CACHE_SECONDS),
        metavar="SECONDS",
        help="trust an API key that passed for this long without looking it up again: a key "
        "revoked by another process may be accepted that long; 0 looks up every request "
        "(env ESRUNTIME_KEY_CACHE_SECONDS; default %(default)s)",
    )
    serve.add_argument("--log-level", choices=LOG_LEVELS, default="info")
    _worker_options(serve)
    _script_options(serve)
    serve.set_defaults(run=_serve)


def _listed(name: str) -> list[str]:
    """A comma-separated environment variable as a list (empty when unset)."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _worker_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--workers",
        type=int,
        default=os.environ.get("ESRUNTIME_WORKERS"),
        metavar="N",
        help="serve from N processes forked on one socket (POSIX only; env ESRUNTIME_WORKERS; "
        "default: 1 on SQLite, the core count on PostgreSQL)",
    )


def _script_options(serve: argparse.ArgumentParser) -> None:
    scripts = serve.add_argument_group("scripts")
    scripts.add_argument(
        "--hooks-prefix",
        default=os.environ.get("ESRUNTIME_HOOKS_PREFIX", DEFAULT_HOOKS_PREFIX),
        help="the path prefix of http scripts' routes; '' for none "
        "(env ESRUNTIME_HOOKS_PREFIX; default %(default)s)",
    )
    scripts.add_argument(
        "--hooks-max-body-bytes",
        type=int,
        default=os.environ.get("ESRUNTIME_HOOKS_MAX_BODY_BYTES", DEFAULT_HOOK_BODY_BYTES),
        metavar="BYTES",
        help="refuse a larger request body to an http script with 413 "
        "(env ESRUNTIME_HOOKS_MAX_BODY_BYTES; default %(default)s)",
    )
    scripts.add_argument(
        "--scripts-db",
        default=os.environ.get("ESRUNTIME_SCRIPTS_DB"),
        metavar="URL",
        help="the database sdk.db runs in, a SQLAlchemy URL; scripts see their tenant's rows "
        "only (env ESRUNTIME_SCRIPTS_DB; default: none)",
    )
    scripts.add_argument(
        "--scripts-db-table",
        dest="scripts_db_tables",
        action="append",
        default=None,
        metavar="TABLE",
        help="a table sdk.db may use, repeat for several (env ESRUNTIME_SCRIPTS_DB_TABLES, "
        "comma-separated; default: any table but esruntime's and the system's)",
    )
    scripts.add_argument(
        "--scripts-http-allow",
        dest="scripts_http_allow",
        action="append",
        default=None,
        metavar="HOST[:PORT]",
        help="a host sdk.http may reach although it is not public, repeat for several "
        "(env ESRUNTIME_SCRIPTS_HTTP_ALLOW, comma-separated)",
    )
    scripts.add_argument(
        "--scripts-cache",
        default=os.environ.get("ESRUNTIME_SCRIPTS_CACHE", "memory"),
        metavar="memory|redis://...",
        help="where sdk.cache keeps values: 'memory' (per process) or a Redis URL shared by "
        "every process (env ESRUNTIME_SCRIPTS_CACHE; default %(default)s)",
    )


def script_settings(args: argparse.Namespace) -> ScriptSettings:
    """The scripts' SDK settings the options name (environment variables as fallbacks)."""
    from esruntime.scripts.sdk.http import HttpPolicy
    from esruntime.scripts.settings import ScriptSettings

    tables = args.scripts_db_tables or _listed("ESRUNTIME_SCRIPTS_DB_TABLES") or None
    allow = args.scripts_http_allow or _listed("ESRUNTIME_SCRIPTS_HTTP_ALLOW")
    try:
        return ScriptSettings(
            database=args.scripts_db or None,
            tables=tables,
            http=HttpPolicy(allowlist=allow),
            cache=args.scripts_cache or "memory",
        )
    except EsruntimeError as exc:
        raise fail(f"scripts: {exc}") from None


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


def _backend(event_store_url: str | None, database_url: str, default: Any) -> Any:
    """The database URL's backend, or events at ``event_store_url`` and the rest in SQL."""
    if not event_store_url:
        return default(database_url)
    if not event_store_url.startswith("umadb:"):
        raise fail(f"--event-store-url takes a umadb://host:port URL, got {shown(event_store_url)}")
    if database_url.startswith(("memory:", "umadb:")):
        raise fail("--event-store-url keeps everything but the events in a SQL --database-url")
    from esruntime.backends import open_backend

    try:
        return open_backend(event_store_url, sql=database_url)
    except ImportError as exc:
        raise fail(str(exc)) from None
    except EsruntimeError as exc:
        code = USAGE if isinstance(exc, ConfigurationError) else UNAVAILABLE
        raise fail(f"--event-store-url: {exc}", code) from None


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: F401

        from esruntime.contrib.fastapi import create_app  # noqa: F401
        from esruntime.contrib.uvicorn import bounded_http_protocol
        from esruntime.web.hooks import Hooks  # noqa: F401
    except ImportError as exc:
        raise fail(f"esruntime serve needs: pip install 'esruntime[server]' ({exc})") from None

    static_key = _check_key(args.api_key)
    try:
        protocol = bounded_http_protocol(args.max_header_bytes, args.header_timeout)
    except ValueError as exc:
        raise fail(f"--{str(exc).replace('_', '-')}") from None
    prefix = "/" + args.prefix.strip("/") if args.prefix.strip("/") else ""
    pages_prefix = "/" + args.pages_prefix.strip("/") if args.pages_prefix.strip("/") else ""
    if pages_prefix and pages_prefix == prefix:
        raise fail("--pages-prefix must differ from --prefix")
    hooks_prefix = "/" + args.hooks_prefix.strip("/") if args.hooks_prefix.strip("/") else None
    if hooks_prefix is not None and hooks_prefix == prefix:
        raise fail(f"--hooks-prefix must differ from --prefix, both are {prefix!r}")
    if hooks_prefix is not None and hooks_prefix == pages_prefix:
        raise fail(f"--hooks-prefix must differ from --pages-prefix, both are {pages_prefix!r}")
    if args.threads < 1:
        raise fail(f"--threads must be 1 or more, got {args.threads}")
    if not args.key_cache_seconds >= 0:
        raise fail(f"--key-cache-seconds must be 0 or more, got {args.key_cache_seconds}")
    if args.hooks_max_body_bytes < 0:
        raise fail(f"--hooks-max-body-bytes must be 0 or more, got {args.hooks_max_body_bytes}")
    workers = serving_processes(args.workers, args.database_url)
    settings = script_settings(args)
    handlers = [_load_handler(spec) for spec in args.handlers]
    listener = _listen(args.host, args.port)
    served = _Served(args, static_key, settings, handlers, prefix, hooks_prefix, protocol, listener)
    runtime = served.open()
    try:
        if static_key is None and not runtime.api_keys.list_keys():
            issued = runtime.api_keys.create(
                runtime.default_tenant, "admin (esruntime serve)", ["admin"]
            )
            print(
                f"Created an admin API key for tenant {runtime.default_tenant!r}; "
                "it is shown only this once:",
                flush=True,
            )
            print(issued.secret, flush=True)
        host, port = listener.getsockname()[:2]
        shown_host = f"[{host}]" if ":" in host else host
        where = f"database {shown(args.database_url)}"
        if args.event_store_url:  # its options (an API key) are not shown
            where += f", events {args.event_store_url.split('?')[0]}"
        if workers > 1:
            where += f", {workers} workers"
        print(f"Serving http://{shown_host}:{port}{prefix} ({where})", flush=True)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        _ = runtime.scripts  # made now: a bad sdk.db or cache URL fails before serving
        if pages_prefix:
            from esruntime.web.pages import PagesConfig

            # Made once, before any fork: every worker signs sessions with the same secret.
            served.pages = PagesConfig.from_env(prefix=pages_prefix)
        if workers == 1:
            app = served.app(runtime)
            if pages_prefix:
                print(f"Script pages at http://{shown_host}:{port}{pages_prefix}", flush=True)
            return served.run(app)
    finally:
        if workers == 1:
            listener.close()
        runtime.close()  # before any fork: the workers open their own connections
    if pages_prefix:
        print(f"Script pages at http://{shown_host}:{port}{pages_prefix}", flush=True)
    from esruntime.cli.workers import supervise

    try:
        return supervise(workers, served.serve_in_child)
    finally:
        listener.close()


def serving_processes(workers: int | None, database_url: str) -> int:
    """How many processes serve: ``workers`` when given, else 1 on SQLite (its writes take
    turns on one file) and the core count on PostgreSQL. Several need a shared database."""
    if workers is None:
        if database_url.startswith("postgresql"):
            return os.cpu_count() or 1
        return 1
    if workers < 1:
        raise fail(f"--workers must be at least 1, got {workers}")
    if workers > 1 and database_url.startswith("memory:"):
        raise fail("--workers above 1 needs a database the processes share, not memory://")
    if workers > 1 and not hasattr(os, "fork"):
        raise fail("--workers above 1 needs os.fork (Linux, macOS, other POSIX systems)")
    return workers


class _Served:
    """What every serving process builds the same way: its runtime, its app, its server."""

    def __init__(
        self,
        args: argparse.Namespace,
        static_key: str | None,
        settings: ScriptSettings,
        handlers: list[type[PythonHandler]],
        prefix: str,
        hooks_prefix: str | None,
        protocol: Any,
        listener: socket.socket,
    ) -> None:
        self.args = args
        self.static_key = static_key
        self.settings = settings
        self.handlers = handlers
        self.prefix = prefix
        self.hooks_prefix = hooks_prefix
        self.protocol = protocol
        self.listener = listener
        self.pages: PagesConfig | None = None

    def open(self) -> Runtime:
        """The runtime on the database, the handlers registered."""
        from esruntime.auth.keys import ApiKeyService
        from esruntime.backends import open_backend
        from esruntime.runtime import Runtime

        backend = _backend(self.args.event_store_url, self.args.database_url, open_backend)
        keys = ApiKeyService(backend.api_key_storage(), cache_seconds=self.args.key_cache_seconds)
        resolver = None
        if self.static_key is not None:
            resolver = StaticKeyResolver(self.static_key, "default", ApiKeyResolver(keys))
        runtime = Runtime(
            backend=backend,
            api_keys=keys,
            principal_resolver=resolver,
            script_runner=_script_pool,
            script_settings=self.settings,
        )
        try:
            if self.handlers:
                runtime.tenant()  # open now, so that its schema checks the handlers before serving
            for handler in self.handlers:
                try:
                    runtime.register(handler)
                except EsruntimeError as exc:
                    raise fail(f"--handler {handler.__name__}: {exc}") from None
        except BaseException:
            runtime.close()
            raise
        return runtime

    def app(self, runtime: Runtime) -> Any:
        from esruntime.contrib.fastapi import create_app
        from esruntime.web.hooks import Hooks

        hooks = Hooks(runtime, max_body_bytes=self.args.hooks_max_body_bytes)
        app = create_app(
            runtime,
            prefix=self.prefix,
            hooks_prefix=self.hooks_prefix,
            hooks=hooks,
            threads=self.args.threads,
        )
        if self.pages is not None:
            from esruntime.contrib.fastapi.pages import install_pages

            install_pages(app, runtime, self.pages)
        return app

    def run(self, app: Any) -> int:
        """Serve ``app`` on the listener until SIGINT (KeyboardInterrupt, after a graceful
        shutdown) or SIGTERM (a graceful shutdown, then 0)."""
        import uvicorn

        server = uvicorn.Server(
            uvicorn.Config(app, http=self.protocol, log_level=self.args.log_level)
        )
        # uvicorn handles SIGTERM while it serves and raises it again after its shutdown, with
        # the handler found before: this one, so that the runtime is closed and the exit is 0.
        previous = signal.signal(signal.SIGTERM, _ignore)
        try:
            server.run(sockets=[self.listener])
        finally:
            signal.signal(signal.SIGTERM, previous)
        return OK if server.started else UNAVAILABLE

    def serve_in_child(self) -> int:
        """One of ``--workers N`` processes: its own runtime and app on the inherited socket."""
        runtime = self.open()
        try:
            _ = runtime.scripts
            return self.run(self.app(runtime))
        finally:
            runtime.close()


def _ignore(sig: int, frame: object) -> None:
    """A handled signal that does nothing (SIGTERM after uvicorn's graceful shutdown)."""
