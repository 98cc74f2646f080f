"""A tenant's revision: one number that changes whenever what its commands run changes.

Every schema push and every handler upload, rollback or deletion bumps the tenant's row of
``esr_tenant_revisions`` in its own transaction (:func:`bump_revision`), whichever process makes
it. A runtime asks for that number before each command (:class:`SqlTenantRevision`) and looks
the current schema and handler versions up again only when it moved.

On SQLite the number is read for every command, on the thread's own connection (about 5 µs;
each lookup through SQLAlchemy's pool and compiler costs about 60 µs): a change committed by any
process is seen by the next command. On PostgreSQL a read would be one more round trip per
command (a third of a command's time), so the bump also sends ``NOTIFY esr_revisions`` and
:class:`PostgresRevisions` keeps one connection listening: commands read the number from memory,
and a change is seen by the commands that start after its notification arrived (the server sends
it at commit; on a local server it arrives within a millisecond). A change made by this process
is taken as heard as soon as it commits (:func:`committed`), so its own next command sees it.
While that connection is down (or before it listens), every command reads the number from the
database instead.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from esruntime.backends.sql.connections import thread_connections
from esruntime.backends.sql.dialects import dialect_of
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.tables import tenant_revisions

__all__ = ["CHANNEL", "PostgresRevisions", "SqlTenantRevision", "bump_revision", "committed"]

logger = logging.getLogger(__name__)

CHANNEL = "esr_revisions"
_SELECT = "SELECT revision FROM esr_tenant_revisions WHERE tenant_id = {}"


def bump_revision(conn: Connection, tenant_id: int) -> int:
    """Bump tenant ``tenant_id``'s revision within ``conn``'s transaction (the change's own),
    and return it; on PostgreSQL also announce it (``tenant id:revision``), delivered when it
    commits. Once it committed, pass it to :func:`committed`."""
    statement = (
        dialect_of(conn.engine).upsert(tenant_revisions).values(tenant_id=tenant_id, revision=1)
    )
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id"], set_={"revision": tenant_revisions.c.revision + 1}
    )
    revision = conn.execute(statement.returning(tenant_revisions.c.revision)).scalar_one()
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_notify(CHANNEL, f"{tenant_id}:{revision}")))
    return int(revision)


def committed(engine: Engine, tenant_id: int, revision: int) -> None:
    """Tell this process's listeners on ``engine`` of a revision it just committed, so that
    its own next command sees the change without waiting for the notification."""
    for listener in list(_LISTENERS.get(engine, ())):
        listener.heard_revision(tenant_id, revision)


_LISTENERS: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[PostgresRevisions]] = (
    weakref.WeakKeyDictionary()
)


class PostgresRevisions:
    """Every tenant's revision in one PostgreSQL database, as announced by ``NOTIFY``.

    A thread keeps a connection of its own listening on :data:`CHANNEL`. :meth:`get` answers
    from what it heard when it is listening, and reads the database otherwise (and the first
    time a tenant is asked for). When the connection is lost, what it heard is forgotten (it
    may have missed changes meanwhile) until it listens again.
    """

    def __init__(self, engine: Engine, *, retry_s: float = 1.0) -> None:
        self._engine = engine
        self._retry_s = retry_s
        self._known: dict[int, int] = {}
        self._listening = False
        self._generation = 0  # changes whenever what was heard stops being complete
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        _LISTENERS.setdefault(engine, weakref.WeakSet()).add(self)
        self._thread = threading.Thread(
            target=self._run, name="esruntime-pg-revisions", daemon=True
        )
        self._thread.start()

    @property
    def listening(self) -> bool:
        with self._changed:
            return self._listening

    def wait_listening(self, timeout: float) -> bool:
        """Wait until the connection listens; False when it did not within ``timeout`` s."""
        with self._changed:
            return self._changed.wait_for(lambda: self._listening, timeout)

    def get(self, tenant_id: int, read: Callable[[], int]) -> int:
        """Tenant ``tenant_id``'s revision: as heard, or ``read()`` from the database."""
        with self._changed:
            if self._listening:
                known = self._known.get(tenant_id)
                if known is not None:
                    return known
            generation = self._generation
        revision = read()
        with self._changed:
            if self._listening and self._generation == generation:
                # A notification heard meanwhile may be newer: revisions only grow.
                self._known[tenant_id] = max(self._known.get(tenant_id, revision), revision)
        return revision

    def wait_for(self, tenant_id: int, revision: int, timeout: float) -> bool:
        """Wait until :meth:`get` gives tenant ``tenant_id``'s revision ``revision`` or a later
        one (at once when it would read it from the database); False when it did not within
        ``timeout`` seconds."""

        def current() -> bool:
            known = self._known.get(tenant_id)
            return not self._listening or known is None or known >= revision

        with self._changed:
            return self._changed.wait_for(current, timeout)

    def close(self) -> None:
        """Stop listening (within half a second)."""
        self._stopping.set()
        _LISTENERS.get(self._engine, weakref.WeakSet()).discard(self)
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception as exc:
                logger.warning("listening for tenants' revisions failed, reading them: %s", exc)
            finally:
                self._forget(listening=False)
            self._stopping.wait(self._retry_s)

    def _listen(self) -> None:
        pooled = self._engine.raw_connection()
        conn: Any = pooled.driver_connection
        pooled.detach()  # a connection of its own for as long as it listens
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            self._forget(listening=True)  # what is read from now on misses no change
            while not self._stopping.is_set():
                for notice in conn.notifies(timeout=0.5):
                    self._heard(notice.payload)
        finally:
            conn.close()

    def heard_revision(self, tenant_id: int, number: int) -> None:
        """Take revision ``number`` of tenant ``tenant_id`` as heard (when listening)."""
        with self._changed:
            if not self._listening:
                return
            self._known[tenant_id] = max(self._known.get(tenant_id, number), number)
            self._changed.notify_all()

    def _heard(self, payload: str) -> None:
        tenant, _, revision = payload.partition(":")
        try:
            tenant_id, number = int(tenant), int(revision)
        except ValueError:
            return
        with self._changed:
            self._known[tenant_id] = max(self._known.get(tenant_id, number), number)
            self._changed.notify_all()

    def _forget(self, *, listening: bool) -> None:
        with self._changed:
            self._listening = listening
            self._known.clear()
            self._generation += 1
            self._changed.notify_all()


class SqlTenantRevision:
    """Calling it gives tenant ``tenant_id``'s revision (0 before its first change).

    SQLite: read on this thread's connection, shared with the event store (no pool checkout).
    PostgreSQL: as heard by ``notified`` (see :class:`PostgresRevisions`), else one prepared
    statement on a pooled connection.
    """

    def __init__(
        self, engine: Engine, tenant_id: int, *, notified: PostgresRevisions | None = None
    ) -> None:
        self._engine = engine
        self.tenant_id = tenant_id
        self._notified = notified
        self._sqlite = engine.dialect.name == "sqlite"
        self._connections = thread_connections(engine) if self._sqlite else None
        self._sql = _SELECT.format("?" if self._sqlite else "%s")

    def __call__(self) -> int:
        if self._notified is not None:
            return self._notified.get(self.tenant_id, self.read)
        return self.read()

    def heard(self, timeout: float) -> bool:
        """Wait until the revision the database has now was heard (at once on SQLite, where
        every call reads it); False when it was not within ``timeout`` seconds."""
        if self._notified is None:
            return True
        return self._notified.wait_for(self.tenant_id, self.read(), timeout)

    def read(self) -> int:
        """The revision as the database has it now."""
        with translate_errors():
            if self._connections is not None:
                row = self._connections.get().execute(self._sql, (self.tenant_id,)).fetchone()
            else:
                row = self._postgres()
        return 0 if row is None else int(row[0])

    def _postgres(self) -> Any:
        pooled = self._engine.raw_connection()
        try:
            conn: Any = pooled.driver_connection
            if not conn.autocommit:  # an engine of the host's: end the read's transaction
                try:
                    return conn.execute(self._sql, (self.tenant_id,), prepare=True).fetchone()
                finally:
                    conn.rollback()
            return conn.execute(self._sql, (self.tenant_id,), prepare=True).fetchone()
        finally:
            pooled.close()
