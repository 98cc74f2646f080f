"""The SDK host of one execution: where a script's ``sdk.*`` and ``events.*`` calls go.

:class:`ExecutionHost` is the :class:`~esruntime.scripts.runner.SdkHost` the service builds for
each execution. It dispatches by name (``cache.get``, ``http.post``, ``events.publish``...),
counts the calls into the execution's metrics, and applies the script's
``max_api_calls_per_minute`` to every call but ``log.*`` (logging has its own bounds). HTTP and
database calls go to collaborators the host application configures (the database is made on
the first ``sdk.db`` call); without one, the call fails with a plain message. Transactions a
script leaves open are rolled back by :meth:`close`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from esruntime.errors import SdkError
from esruntime.scripts.models import ExecutionMetrics
from esruntime.scripts.sdk.cache import ScriptCacheView
from esruntime.scripts.sdk.events import EventPublisher
from esruntime.scripts.sdk.logs import ExecutionLog
from esruntime.scripts.sdk.ratelimit import SlidingWindowLimiter

__all__ = ["ExecutionHost", "HttpRequester", "ScriptDatabase"]

logger = logging.getLogger("esruntime.scripts")

_HTTP_WITH_BODY = frozenset({"post", "put", "patch"})
_HTTP_WITHOUT_BODY = frozenset({"get", "delete"})
_DB_STATEMENTS = {"query": "query", "queryOne": "query_one", "execute": "execute"}


class HttpRequester(Protocol):
    """Performs ``sdk.http`` requests (``esruntime.scripts.sdk.http.ScriptHttpClient``)."""

    def request(
        self, method: str, url: str, body: Any = None, options: Mapping[str, Any] | None = None, /
    ) -> Any: ...


class ScriptDatabase(Protocol):
    """The ``sdk.db`` of one execution (``esruntime.scripts.sdk.db.ScriptDatabase``): it checks
    statements, parameters and transaction handles, and raises SdkError with the script's message.

    ``transaction`` names a transaction opened by :meth:`begin`; without one a statement runs
    alone. :meth:`close` rolls back what the script left open.
    """

    def query(self, sql: str, params: Any = None, transaction: Any = None, /) -> Any: ...

    def query_one(self, sql: str, params: Any = None, transaction: Any = None, /) -> Any: ...

    def execute(self, sql: str, params: Any = None, transaction: Any = None, /) -> Any: ...

    def begin(self) -> Any: ...

    def commit(self, transaction: Any, /) -> Any: ...

    def rollback(self, transaction: Any, /) -> Any: ...

    def close(self) -> Any: ...


class ExecutionHost:
    """Dispatches one execution's SDK calls; safe to call from several threads at once."""

    def __init__(
        self,
        *,
        tenant: str,
        script_id: str,
        log: ExecutionLog,
        cache: ScriptCacheView | None = None,
        events: EventPublisher | None = None,
        http: HttpRequester | None = None,
        database: Callable[[], ScriptDatabase] | None = None,
        limiter: SlidingWindowLimiter | None = None,
        calls_per_minute: int = 60,
    ) -> None:
        self._key = (tenant, script_id)
        self.log = log
        self._cache = cache
        self._events = events
        self._http = http
        self._database = database
        self._db: ScriptDatabase | None = None
        self._limiter = limiter
        self._calls_per_minute = calls_per_minute
        self._lock = threading.Lock()
        self._counts = {"http": 0, "db": 0, "cache": 0, "events": 0}

    def call(self, name: str, args: list[Any]) -> Any:
        namespace, _, method = name.partition(".") if isinstance(name, str) else ("", "", "")
        if not isinstance(args, list):
            raise SdkError(f"{name}: the arguments must be a list")
        if namespace == "log":
            self.log.call(method, args)
            return None
        if namespace not in self._counts:
            raise SdkError(f"Unknown SDK call {str(name)[:100]!r}")
        if self._limiter is not None and not self._limiter.acquire(
            self._key, self._calls_per_minute
        ):
            raise SdkError("Rate limit exceeded")
        if namespace == "cache":
            self._count("cache")
            return self._cache_call(method, args)
        if namespace == "http":
            return self._http_call(method, args)
        if namespace == "db":
            return self._db_call(method, args)
        if method != "publish":
            raise SdkError(f"Unknown SDK call {name[:100]!r}")
        if self._events is None:
            raise SdkError("Events are not configured")
        published = self._events.publish(args)
        self._count("events")
        return published

    def _count(self, what: str) -> None:
        with self._lock:
            self._counts[what] += 1

    def _cache_call(self, method: str, args: list[Any]) -> Any:
        if self._cache is None:
            raise SdkError("The cache is not configured")
        return self._cache.call(method, args)

    def _http_call(self, method: str, args: list[Any]) -> Any:
        if method in _HTTP_WITH_BODY:
            if not 1 <= len(args) <= 3:
                raise SdkError(f"http.{method} takes (url, body, options?)")
            url, body, options = [*args, None, None][:3]
        elif method in _HTTP_WITHOUT_BODY:
            if not 1 <= len(args) <= 2:
                raise SdkError(f"http.{method} takes (url, options?)")
            url, options = [*args, None][:2]
            body = None
        else:
            raise SdkError(f"Unknown SDK call 'http.{method[:100]}'")
        if not isinstance(url, str):
            raise SdkError(f"http.{method}: the URL must be a string")
        if options is not None and not isinstance(options, Mapping):
            raise SdkError(f"http.{method}: options must be an object")
        if self._http is None:
            raise SdkError("HTTP is not configured")
        self._count("http")
        return self._http.request(method.upper(), url, body, options)

    def _db_call(self, method: str, args: list[Any]) -> Any:
        # The database checks the statements, parameters and transaction handles itself.
        if method in _DB_STATEMENTS:
            if not 1 <= len(args) <= 3:
                raise SdkError(f"db.{method} takes (sql, params, transaction?)")
            db = self._connect()
            self._count("db")
            return getattr(db, _DB_STATEMENTS[method])(*args)
        if method == "begin":
            if args:
                raise SdkError("db.begin takes no arguments")
            return self._connect().begin()
        if method in ("commit", "rollback"):
            if len(args) != 1:
                raise SdkError(f"db.{method} takes (transaction)")
            return getattr(self._connect(), method)(args[0])
        raise SdkError(f"Unknown SDK call 'db.{method[:100]}'")

    def _connect(self) -> ScriptDatabase:
        """The tenant's database, made on the script's first ``sdk.db`` call."""
        if self._database is None:
            raise SdkError("Database is not configured")
        with self._lock:
            if self._db is None:
                self._db = self._database()
            return self._db

    def metrics(self, duration_ms: float, memory_bytes: int | None) -> ExecutionMetrics:
        with self._lock:
            counts = dict(self._counts)
        return ExecutionMetrics(
            duration_ms=duration_ms,
            memory_bytes=memory_bytes,
            http_calls=counts["http"],
            db_queries=counts["db"],
            cache_calls=counts["cache"],
            events_published=counts["events"],
            log_lines=len(self.log) + self.log.dropped,
        )

    def close(self) -> None:
        """Close the execution's database session: what the script left open is rolled back."""
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            try:
                db.close()
            except Exception:
                logger.warning("could not close a script's database session", exc_info=True)
