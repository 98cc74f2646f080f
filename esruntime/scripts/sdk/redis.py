"""``sdk.cache`` in Redis, shared by several processes, through redis-py.

redis-py (the ``redis`` extra: ``pip install 'esruntime[redis]'``) gives the connection pool,
TLS (``rediss://``), authentication and database selection; this module keeps the cache's
behaviour and translates redis-py's errors into esruntime's: an error reply becomes
:class:`~esruntime.errors.RedisReplyError`, a connection failure or timeout an
:class:`~esruntime.errors.SdkError` naming the cause's type only (a script never sees the
server's address).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

try:
    import redis
except ImportError:  # pragma: no cover - the extra is part of the test environment
    raise ImportError("RedisScriptCache needs redis-py: pip install 'esruntime[redis]'") from None

from esruntime.errors import ConfigurationError, RedisReplyError, SdkError
from esruntime.scripts.sdk.cache import incremented, stored_number

__all__ = ["RedisReplyError", "RedisScriptCache"]

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_CONNECTIONS = 16


class RedisScriptCache:
    """A :class:`~esruntime.scripts.sdk.cache.ScriptCache` in Redis: values as JSON strings,
    TTLs with millisecond precision, ``increment`` atomic by ``INCRBY``/``INCRBYFLOAT``.

    ``client`` is a ``redis.Redis``; :meth:`from_url` builds one with a bounded, blocking pool.
    ``namespace`` is put before every key (e.g. ``"esruntime:"``) to share a Redis database.
    """

    def __init__(self, client: redis.Redis, *, namespace: str = "") -> None:
        self._client = client
        self._namespace = namespace

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        namespace: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        **options: Any,
    ) -> RedisScriptCache:
        """``redis://[[user]:password@]host[:port][/db]``, or ``rediss://`` for TLS.

        At most ``max_connections`` connections are open; a call waits up to ``timeout``
        seconds for a free one, and as long for the connection and each reply. ``options``
        go to redis-py's ``BlockingConnectionPool.from_url`` (e.g. ``ssl_ca_certs``).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ConfigurationError(f"not a redis[s]://host[:port][/db] URL: {url!r}")
        path = parts.path.strip("/")
        if path and not path.isdigit():
            raise ConfigurationError(f"the database of a Redis URL is a number, got {path!r}")
        if not timeout > 0 or max_connections < 1:
            raise ConfigurationError("timeout must be above 0 and max_connections at least 1")
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            **options,
        )
        return cls(redis.Redis(connection_pool=pool), namespace=namespace)

    @property
    def client(self) -> redis.Redis:
        """The redis-py client the cache sends its commands through."""
        return self._client

    def close(self) -> None:
        """Close the client's connections (a client given to the constructor included)."""
        self._client.close()
        self._client.connection_pool.disconnect()

    def _command(self, *args: Any) -> Any:
        try:
            return self._client.execute_command(*args)  # type: ignore[no-untyped-call]
        except redis.ResponseError as exc:
            raise RedisReplyError(str(exc)) from exc
        except (redis.RedisError, OSError) as exc:
            raise SdkError(f"The cache is unavailable: {_cause(exc)}") from exc

    def get(self, key: str) -> str | None:
        found = self._command("GET", self._namespace + key)
        return None if found is None else _text(found)

    def set(self, key: str, value: str, ttl: float | None) -> None:
        if ttl is None:
            self._command("SET", self._namespace + key, value)
        else:
            self._command("SET", self._namespace + key, value, "PX", max(1, round(ttl * 1000)))

    def delete(self, key: str) -> bool:
        return int(self._command("DEL", self._namespace + key)) > 0

    def exists(self, key: str) -> bool:
        return int(self._command("EXISTS", self._namespace + key)) > 0

    def increment(self, key: str, delta: int | float) -> int | float:
        key = self._namespace + key
        try:
            if isinstance(delta, int):
                try:
                    return int(self._command("INCRBY", key, delta))
                except RedisReplyError as exc:
                    if "overflow" in str(exc):
                        raise SdkError("cache.increment: the result is out of range") from None
                    # Not an integer: a float is still a number, INCRBYFLOAT takes it.
            total = stored_number(_text(self._command("INCRBYFLOAT", key, repr(float(delta)))))
        except RedisReplyError:
            raise ValueError("not a number") from None
        return incremented(total, 0)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _cause(exc: BaseException) -> str:
    """The type of the operating system's error under redis-py's, else redis-py's own."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and not isinstance(seen, redis.RedisError):
            return type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__
