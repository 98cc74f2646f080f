"""``sdk.cache`` in Redis, shared by several processes, and a minimal Redis client.

:class:`RedisScriptCache` takes any client with ``execute_command(*args)`` (redis-py's clients
have it). Without redis-py, :class:`RespClient` speaks enough RESP2 over a socket for the cache:
commands as arrays of bulk strings, every reply type, a small pool of connections, and a
connection dropped (never reused) after any error mid-reply.
"""

from __future__ import annotations

import socket
import threading
from typing import Any, BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from esruntime.errors import ConfigurationError, SdkError
from esruntime.scripts.sdk.cache import incremented, stored_number

__all__ = ["RedisClient", "RedisReplyError", "RedisScriptCache", "RespClient"]


class RedisClient(Protocol):
    def execute_command(self, *args: Any) -> Any: ...


class RedisReplyError(Exception):
    """Redis answered a command with an error reply (``-ERR ...``)."""


class RedisScriptCache:
    """A :class:`~esruntime.scripts.sdk.cache.ScriptCache` in Redis: values as JSON strings,
    TTLs with millisecond precision, ``increment`` atomic by ``INCRBY``/``INCRBYFLOAT``.

    ``namespace`` is put before every key (e.g. ``"esruntime:"``) to share a Redis database.
    """

    def __init__(self, client: RedisClient, *, namespace: str = "") -> None:
        self._client = client
        self._namespace = namespace

    def _command(self, *args: Any) -> Any:
        try:
            return self._client.execute_command(*args)
        except (RedisReplyError, ValueError):
            raise
        except Exception as exc:  # any client's connection or protocol error
            if type(exc).__name__ == "ResponseError":  # redis-py's error reply
                raise RedisReplyError(str(exc)) from exc
            raise SdkError(f"The cache is unavailable: {type(exc).__name__}") from exc

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


class RespClient:
    """A minimal thread-safe Redis client: ``execute_command("SET", "k", "v")``.

    Replies come back as Python values: simple strings as ``str``, bulk strings as ``bytes``
    (None when nil), integers as ``int``, arrays as lists; error replies raise
    :class:`RedisReplyError`; connection failures ``OSError``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 6379,
        *,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 5.0,
        max_idle: int = 8,
    ) -> None:
        self._address = (host, port)
        self._setup: list[tuple[Any, ...]] = []
        if password is not None:
            self._setup.append(
                ("AUTH", password) if username is None else ("AUTH", username, password)
            )
        if db:
            self._setup.append(("SELECT", db))
        self._timeout = timeout
        self._max_idle = max_idle
        self._idle: list[tuple[socket.socket, BinaryIO]] = []
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RespClient:
        """``redis://[[user]:password@]host[:port][/db]``."""
        parts = urlsplit(url)
        if parts.scheme != "redis" or not parts.hostname:
            raise ConfigurationError(f"not a redis://host[:port][/db] URL: {url!r}")
        path = parts.path.strip("/")
        if path and not path.isdigit():
            raise ConfigurationError(f"the database of a Redis URL is a number, got {path!r}")
        return cls(
            parts.hostname,
            parts.port or 6379,
            db=int(path or 0),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            **options,
        )

    def execute_command(self, *args: Any) -> Any:
        connection = self._checkout()
        try:
            reply = self._roundtrip(connection, args)
        except RedisReplyError:
            self._checkin(connection)
            raise
        except BaseException:
            connection[0].close()
            raise
        self._checkin(connection)
        return reply

    def _checkout(self) -> tuple[socket.socket, BinaryIO]:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        sock = socket.create_connection(self._address, timeout=self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = (sock, sock.makefile("rb"))
        try:
            for command in self._setup:
                self._roundtrip(connection, command)
        except BaseException:
            sock.close()
            raise
        return connection

    def _checkin(self, connection: tuple[socket.socket, BinaryIO]) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(connection)
                return
        connection[0].close()

    def _roundtrip(self, connection: tuple[socket.socket, BinaryIO], args: tuple[Any, ...]) -> Any:
        connection[0].sendall(_encode_command(args))
        return _read_reply(connection[1])

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock, _ in idle:
            sock.close()


def _encode_command(args: tuple[Any, ...]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode("utf-8", "surrogatepass")
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _read_reply(stream: BinaryIO) -> Any:
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("the Redis connection closed mid-reply")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body.decode("utf-8")
    if kind == b"-":
        raise RedisReplyError(body.decode("utf-8", "replace"))
    if kind == b":":
        return int(body)
    if kind == b"$":
        size = int(body)
        if size < 0:
            return None
        data = stream.read(size + 2)
        if len(data) != size + 2:
            raise ConnectionError("the Redis connection closed mid-reply")
        return data[:-2]
    if kind == b"*":
        count = int(body)
        return None if count < 0 else [_read_reply(stream) for _ in range(count)]
    raise ConnectionError(f"not a RESP reply: {line[:40]!r}")
