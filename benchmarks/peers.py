"""Adapters for peer DCB event stores, so a benchmark can run one workload against each.

Every adapter satisfies the :class:`Peer` protocol. The workload appends events of type
``"Deposited"``, each tagged with one account tag and carrying about 100 bytes of JSON.

Peers and the classes they use:

``UmaDBPeer`` ("UmaDB")
    Client: ``umadb.Client`` with ``umadb.Event``, ``umadb.Query``, ``umadb.QueryItem``
    and ``umadb.AppendCondition`` (package ``umadb``).
    Server: the ``umadb`` console script of the same package (entry point
    ``umadb.umadb_server_cli:main``), which runs the Rust server in-process through
    ``umadb.run_server_from_args``; there is no separate server binary. It is started as
    a subprocess with ``--listen 127.0.0.1:<free port> --db-path <temporary directory>``
    and otherwise default settings (synchronous writes, no page cache).
    Conflicts raise ``umadb.IntegrityError`` (a ``ValueError``).

``EventsourcingDcbPeer("memory")`` ("eventsourcing DCB (memory)")
    Recorder: ``eventsourcing.dcb.popo.InMemoryDCBRecorder``, the only in-memory DCB
    recorder (what ``InMemoryDCBFactory.dcb_recorder()`` returns).

``EventsourcingDcbPeer("postgres")`` ("eventsourcing DCB (PostgreSQL)")
    Recorder: ``eventsourcing.dcb.postgres_tt.PostgresDCBRecorderTT`` (the "tag table"
    recorder, the only PostgreSQL DCB recorder; what ``PostgresTTDCBFactory`` builds) on an
    ``eventsourcing.postgres.PostgresDatastore``. Conditional appends go through its
    single-statement ``dcb_conditional_append_tt`` database function. Its tables, types and
    functions live in the dedicated schema :data:`POSTGRES_SCHEMA` of database ``test``.
    Needs ``psycopg`` and ``psycopg_pool`` (the ``eventsourcing[postgres]`` extra).

Both eventsourcing peers build requests from ``eventsourcing.dcb.api`` (``DCBEvent``,
``DCBQuery``, ``DCBQueryItem``, ``DCBAppendCondition``) and raise
``eventsourcing.persistence.IntegrityError`` on conflicts.

In every store, positions start at 1 in an empty store and a rejected append does not use
up a position. Reads return the event data as ``bytes``, which the adapters decode as JSON.

Run this module to check each available peer and measure a first calibration figure::

    /work/venv/bin/python benchmarks/peers.py
"""

from __future__ import annotations

import atexit
import json
import shutil
import socket
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from eventsourcing.dcb.api import DCBRecorder

# The peers' libraries are optional: a peer whose imports failed is skipped, with the reason.
_IMPORT_ERRORS: dict[str, ImportError] = {}

try:
    import umadb
except ImportError as error:
    _IMPORT_ERRORS["umadb"] = error

try:
    from eventsourcing.dcb.api import DCBAppendCondition, DCBEvent, DCBQuery, DCBQueryItem
    from eventsourcing.dcb.popo import InMemoryDCBRecorder
    from eventsourcing.persistence import IntegrityError as EventsourcingIntegrityError
except ImportError as error:
    _IMPORT_ERRORS["eventsourcing"] = error

try:
    import psycopg
    from eventsourcing.dcb.postgres_tt import PostgresDCBRecorderTT
    from eventsourcing.postgres import PostgresDatastore
    from psycopg.sql import SQL, Identifier
except ImportError as error:
    _IMPORT_ERRORS["eventsourcing-postgres"] = error
else:

    class _SchemaScopedDatastore(PostgresDatastore):
        """A datastore whose connections use only its own schema as search path.

        ``PostgresDCBRecorderTT`` creates its tags table with a foreign key that names the
        events table without a schema, which only resolves when the schema is on the
        search path.
        """

        def after_connect_func(self) -> Callable[[psycopg.Connection[Any]], None]:
            configure = super().after_connect_func()
            set_search_path = SQL("SET search_path TO {}").format(Identifier(self.schema))

            def after_connect(conn: psycopg.Connection[Any]) -> None:
                configure(conn)
                conn.execute(set_search_path)

            return after_connect


EVENT_TYPE = "Deposited"

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
POSTGRES_DBNAME = "test"
POSTGRES_SCHEMA = "esruntime_bench_peers"
POSTGRES_EVENTS_TABLE = "bench_events"  # Tables become bench_events_tt_main and _tt_tag.

UMADB_START_TIMEOUT = 10.0  # Seconds to wait for a started server to accept connections.
UMADB_STOP_TIMEOUT = 5.0  # Seconds to wait for a terminated server before killing it.


class Peer(Protocol):
    """One event store under benchmark."""

    name: str
    # Not part of the workload interface: the exception a failed append condition raises.
    integrity_error: type[Exception]

    def reset(self) -> None:
        """Make the store empty."""

    def conditional_append(self, tag: str, after: int | None) -> int:
        """Append one event tagged ``tag``, failing if an event of the same type and tag
        exists after position ``after`` (``None``: at any position). Return its position."""

    def batch_append(self, tags: list[str]) -> int:
        """Append one event per tag in a single unconditional call. Return the last position."""

    def read_tagged(self, tag: str, limit: int) -> int:
        """Read and decode at most ``limit`` events tagged ``tag``, ascending. Return the count."""

    def close(self) -> None:
        """Release the store and everything it started."""


class PeerUnavailable(Exception):
    """A peer cannot run here; the message says why."""


def _require(dependency: str) -> None:
    error = _IMPORT_ERRORS.get(dependency)
    if error is not None:
        raise PeerUnavailable(f"cannot import {error.name or dependency!r}: {error}")


def event_data(tag: str) -> bytes:
    """The JSON payload of one benchmark event: about 100 bytes."""
    return json.dumps({"account": tag, "amount": 10, "note": "x" * 60}).encode()


class UmaDBServer:
    """A UmaDB server subprocess on a free local port, with a temporary data directory.

    The directory is removed, and a running server is terminated, by :meth:`remove`, which
    also runs at interpreter exit if it has not been called.
    """

    def __init__(self) -> None:
        self.command = self._locate_server_script()
        self._root = Path(tempfile.mkdtemp(prefix="umadb-peer-"))
        self.data_dir = self._root / "data"
        self.log_path = self._root / "server.log"
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None
        atexit.register(self.remove)

    @staticmethod
    def _locate_server_script() -> list[str]:
        """The ``umadb`` console script, preferably next to the running interpreter."""
        script = shutil.which("umadb", path=sysconfig.get_path("scripts")) or shutil.which("umadb")
        if script is None:
            raise PeerUnavailable("the 'umadb' server script is not installed")
        return [script]

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        if self._process is not None:
            raise RuntimeError("UmaDB server already running")
        self.data_dir.mkdir(exist_ok=True)
        port = _free_local_port()
        args = ["--listen", f"127.0.0.1:{port}", "--db-path", str(self.data_dir)]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [*self.command, *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_listening(port)
        except BaseException:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{port}"

    def _wait_until_listening(self, port: int) -> None:
        assert self._process is not None
        deadline = time.monotonic() + UMADB_START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"UmaDB server exited with code {self._process.returncode}:\n{self._log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"UmaDB server not listening after {UMADB_START_TIMEOUT}s:\n"
                        f"{self._log_tail()}"
                    ) from None
                time.sleep(0.02)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        """Terminate the server (SIGTERM shuts it down cleanly), killing it if it hangs."""
        process, self._process, self.url = self._process, None, ""
        if process is None:
            return
        process.terminate()
        try:
            process.wait(UMADB_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def wipe(self) -> None:
        """Delete the data directory; only allowed while the server is stopped."""
        if self._process is not None:
            raise RuntimeError("stop the UmaDB server before wiping its data")
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def remove(self) -> None:
        """Stop the server and delete its temporary directory. Idempotent."""
        atexit.unregister(self.remove)
        self.stop()
        shutil.rmtree(self._root, ignore_errors=True)


def _free_local_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class UmaDBPeer:
    """UmaDB, through its Python client, against a server subprocess that this peer owns."""

    name = "UmaDB"

    def __init__(self) -> None:
        _require("umadb")
        self.integrity_error: type[Exception] = umadb.IntegrityError
        self._server = UmaDBServer()
        try:
            self._server.start()
            self._client = umadb.Client(self._server.url)
        except (OSError, RuntimeError) as error:
            self._server.remove()
            raise PeerUnavailable(f"cannot start the UmaDB server: {error}") from error

    def reset(self) -> None:
        self._client.close()
        self._server.stop()
        self._server.wipe()
        self._server.start()
        self._client = umadb.Client(self._server.url)

    def conditional_append(self, tag: str, after: int | None) -> int:
        query = umadb.Query([umadb.QueryItem(types=[EVENT_TYPE], tags=[tag])])
        condition = umadb.AppendCondition(fail_if_events_match=query, after=after)
        return self._client.append([self._event(tag)], condition=condition)

    def batch_append(self, tags: list[str]) -> int:
        return self._client.append([self._event(tag) for tag in tags])

    def read_tagged(self, tag: str, limit: int) -> int:
        query = umadb.Query([umadb.QueryItem(tags=[tag])])
        response = self._client.read(query=query, limit=limit)
        return len([json.loads(item.event.data) for item in response])

    def close(self) -> None:
        self._client.close()
        self._server.remove()

    @staticmethod
    def _event(tag: str) -> umadb.Event:
        return umadb.Event(EVENT_TYPE, event_data(tag), [tag])


class EventsourcingDcbPeer:
    """The DCB recorder of the ``eventsourcing`` library, in memory or on PostgreSQL."""

    def __init__(self, kind: Literal["memory", "postgres"]) -> None:
        if kind not in ("memory", "postgres"):
            raise ValueError(f"unknown kind {kind!r}: expected 'memory' or 'postgres'")
        self.kind = kind
        self.name = f"eventsourcing DCB ({'memory' if kind == 'memory' else 'PostgreSQL'})"
        _require("eventsourcing")
        if kind == "postgres":
            _require("eventsourcing-postgres")
            try:
                _connect_postgres().close()
            except psycopg.OperationalError as error:
                raise PeerUnavailable(f"cannot connect to PostgreSQL: {error}") from error
        self.integrity_error: type[Exception] = EventsourcingIntegrityError
        self._datastore: PostgresDatastore | None = None
        self._recorder: DCBRecorder = self._new_recorder()

    def reset(self) -> None:
        self._close_datastore()
        self._recorder = self._new_recorder()

    def conditional_append(self, tag: str, after: int | None) -> int:
        query = DCBQuery(items=[DCBQueryItem(types=[EVENT_TYPE], tags=[tag])])
        condition = DCBAppendCondition(fail_if_events_match=query, after=after)
        return self._recorder.append([self._event(tag)], condition)

    def batch_append(self, tags: list[str]) -> int:
        return self._recorder.append([self._event(tag) for tag in tags])

    def read_tagged(self, tag: str, limit: int) -> int:
        response = self._recorder.read(DCBQuery(items=[DCBQueryItem(tags=[tag])]), limit=limit)
        return len([json.loads(item.event.data) for item in response])

    def close(self) -> None:
        self._close_datastore()
        if self.kind == "postgres":
            _recreate_postgres_schema(create=False)

    @staticmethod
    def _event(tag: str) -> DCBEvent:
        return DCBEvent(type=EVENT_TYPE, data=event_data(tag), tags=[tag])

    def _new_recorder(self) -> DCBRecorder:
        if self.kind == "memory":
            return InMemoryDCBRecorder()
        # A fresh schema needs a fresh datastore: the old one caches the OIDs of the dropped
        # composite types and holds statements prepared against the dropped tables.
        _recreate_postgres_schema(create=True)
        self._datastore = _SchemaScopedDatastore(
            dbname=POSTGRES_DBNAME,
            host=POSTGRES_HOST,
            port=POSTGRES_PORT,
            user=POSTGRES_USER,
            password="",
            schema=POSTGRES_SCHEMA,
        )
        recorder = PostgresDCBRecorderTT(self._datastore, events_table_name=POSTGRES_EVENTS_TABLE)
        recorder.create_table()
        return recorder

    def _close_datastore(self) -> None:
        if self._datastore is not None:
            self._datastore.close()
            self._datastore = None


def _connect_postgres() -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(
        host=POSTGRES_HOST,
        port=POSTGRES_PORT,
        user=POSTGRES_USER,
        dbname=POSTGRES_DBNAME,
        connect_timeout=5,
        autocommit=True,
    )


def _recreate_postgres_schema(*, create: bool) -> None:
    """Drop the PostgreSQL peer's schema with everything in it, then create it empty if asked."""
    schema = Identifier(POSTGRES_SCHEMA)
    with _connect_postgres() as conn:
        conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
        if create:
            conn.execute(SQL("CREATE SCHEMA {}").format(schema))


def available_peers() -> list[Peer]:
    """Start every peer that can run here; print why any other one is skipped.

    The caller owns the returned peers and must ``close()`` them.
    """
    factories: list[tuple[str, Callable[[], Peer]]] = [
        ("UmaDB", UmaDBPeer),
        ("eventsourcing DCB (memory)", lambda: EventsourcingDcbPeer("memory")),
        ("eventsourcing DCB (PostgreSQL)", lambda: EventsourcingDcbPeer("postgres")),
    ]
    peers: list[Peer] = []
    for name, factory in factories:
        try:
            peers.append(factory())
        except PeerUnavailable as reason:
            print(f"skipping peer {name}: {reason}")
    return peers


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def self_check(peer: Peer) -> None:
    """Exercise every operation of ``peer`` once, on an empty store."""
    peer.reset()
    tag = "acct-self-check"
    positions: list[int] = []
    after: int | None = None
    for _ in range(3):
        after = peer.conditional_append(tag, after)
        positions.append(after)
    _check(positions == [1, 2, 3], f"chained appends got positions {positions}")

    for stale_after in (None, positions[0]):
        try:
            peer.conditional_append(tag, stale_after)
        except peer.integrity_error as error:
            kind = f"{type(error).__module__}.{type(error).__qualname__}"
            print(f"  append after={stale_after} rejected: {kind}")
        else:
            raise AssertionError(f"append after={stale_after} should have failed")

    batch_tags = [f"acct-batch-{i % 10}" for i in range(100)]
    last = peer.batch_append(batch_tags)
    _check(last == positions[-1] + len(batch_tags), f"batch ended at position {last}")

    counts = {
        "self-check tag": (peer.read_tagged(tag, 100), 3),
        "self-check tag, limit 2": (peer.read_tagged(tag, 2), 2),
        "batch tag": (peer.read_tagged("acct-batch-0", 100), 10),
        "unused tag": (peer.read_tagged("acct-unused", 100), 0),
    }
    for label, (read, expected) in counts.items():
        _check(read == expected, f"read {read} events for {label}, expected {expected}")
    print("  self-check passed")


def calibrate(peer: Peer, appends: int = 2000, accounts: int = 100) -> float:
    """Time ``appends`` conditional appends spread over ``accounts`` tags, each conditioned
    on the tag's previous position, on an empty store. Return appends per second."""
    peer.reset()
    tags = [f"acct-{i:04d}" for i in range(accounts)]
    heads: dict[str, int | None] = dict.fromkeys(tags)
    started = time.perf_counter()
    for i in range(appends):
        tag = tags[i % accounts]
        heads[tag] = peer.conditional_append(tag, heads[tag])
    elapsed = time.perf_counter() - started
    return appends / elapsed


def main() -> None:
    peers = available_peers()
    try:
        for peer in peers:
            print(f"{peer.name}:")
            self_check(peer)
            rate = calibrate(peer)
            print(f"  {rate:,.0f} conditional appends/s (2,000 appends over 100 tags)")
    finally:
        for peer in peers:
            peer.close()


if __name__ == "__main__":
    main()
