"""How a runtime's scripts reach the outside: ``sdk.db``, ``sdk.http`` and ``sdk.cache``.

::

    runtime = Runtime.from_url(
        "sqlite:///app.db",
        script_settings=ScriptSettings(
            database="postgresql+psycopg://app@db/shop",   # sdk.db, confined to tenant rows
            tables=["orders", "customers"],                # the only tables scripts may use
            http=HttpPolicy(allowlist=["billing.internal:8443"]),
            cache="redis://cache:6379/0",                  # shared by every process
        ),
    )

:meth:`ScriptSettings.open` makes what the settings name (an engine from a URL, a Redis pool,
the HTTP client); :meth:`ScriptResources.close` releases what it made, never what was passed
in as an object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy
from attrs import define, field, frozen

from esruntime.errors import ConfigurationError
from esruntime.scripts.sdk.cache import InMemoryScriptCache, ScriptCache
from esruntime.scripts.sdk.db import ScriptDatabase
from esruntime.scripts.sdk.http import HttpPolicy, ScriptHttpClient

__all__ = ["ScriptResources", "ScriptSettings"]


def _tables(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise ConfigurationError(f"tables is a list of table names, not the string {value!r}")
    names = frozenset(value)
    if not all(isinstance(name, str) and name.strip() for name in names):
        raise ConfigurationError("tables holds table names (non-empty strings)")
    return names


def _positive(instance: Any, attribute: Any, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"ScriptSettings.{attribute.name} must be above 0, got {value!r}")


@frozen
class ScriptSettings:
    """The SDK services of a runtime's scripts.

    ``database``: where ``sdk.db`` runs (a SQLAlchemy URL or engine; None: scripts get
    "Database is not configured"); ``tables`` the tables scripts may use there (None: any
    table but the system and esruntime ones; each needs a ``tenant_id`` column); at most
    ``db_max_rows`` rows and ``db_timeout_s`` seconds per statement. ``http``: the
    :class:`~esruntime.scripts.sdk.http.HttpPolicy` of ``sdk.http`` (public addresses only,
    unless allowlisted). ``cache``: ``sdk.cache`` in process memory (None or ``"memory"``), in
    Redis (a ``redis://`` or ``rediss://`` URL), or any
    :class:`~esruntime.scripts.sdk.cache.ScriptCache`.
    """

    database: str | sqlalchemy.Engine | None = None
    tables: frozenset[str] | None = field(default=None, converter=_tables)
    db_max_rows: int = field(default=1000, validator=_positive)
    db_timeout_s: float = field(default=5.0, validator=_positive)
    http: HttpPolicy = field(factory=HttpPolicy)
    cache: str | ScriptCache | None = None

    def open(self) -> ScriptResources:
        """The services these settings name, made now (a bad URL fails here)."""
        closers: list[Callable[[], None]] = []
        try:
            database = self._database(closers)
            cache = self._cache(closers)
            http = ScriptHttpClient(self.http)
            closers.append(http.close)
        except BaseException:
            for close in reversed(closers):
                close()
            raise
        return ScriptResources(database, cache, http, closers)

    def _database(
        self, closers: list[Callable[[], None]]
    ) -> Callable[[str], ScriptDatabase] | None:
        if self.database is None:
            return None
        engine = self.database
        if isinstance(engine, str):
            try:
                engine = sqlalchemy.create_engine(engine)
            except (sqlalchemy.exc.ArgumentError, ImportError, ValueError) as exc:
                raise ConfigurationError(f"the sdk.db database URL is unusable: {exc}") from None
            closers.append(engine.dispose)
        elif not isinstance(engine, sqlalchemy.Engine):
            raise ConfigurationError("ScriptSettings.database is a SQLAlchemy URL or Engine")
        tables, max_rows, timeout_s = self.tables, self.db_max_rows, self.db_timeout_s
        bound: sqlalchemy.Engine = engine

        def database(tenant: str) -> ScriptDatabase:
            return ScriptDatabase(
                bound, tenant, tables=tables, max_rows=int(max_rows), timeout_s=timeout_s
            )

        database(".probe").close()  # refuses an unsupported database or AUTOCOMMIT now
        return database

    def _cache(self, closers: list[Callable[[], None]]) -> ScriptCache:
        cache = self.cache
        if cache is None or cache == "memory":
            return InMemoryScriptCache()
        if isinstance(cache, str):
            if not cache.startswith(("redis://", "rediss://")):
                raise ConfigurationError(
                    f"the script cache is 'memory' or a redis:// URL, got {cache[:100]!r}"
                )
            try:
                from esruntime.scripts.sdk.redis import RedisScriptCache
            except ImportError as exc:  # the redis extra is not installed
                raise ConfigurationError(str(exc)) from None

            redis_cache = RedisScriptCache.from_url(cache)
            closers.append(redis_cache.close)
            return redis_cache
        return cache


@define
class ScriptResources:
    """What :meth:`ScriptSettings.open` made: ``database(tenant)`` for ``sdk.db`` (or None),
    the cache and the HTTP client; :meth:`close` releases what was made from URLs."""

    database: Callable[[str], ScriptDatabase] | None
    cache: ScriptCache
    http: ScriptHttpClient
    _closers: list[Callable[[], None]]

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self._closers.clear()
