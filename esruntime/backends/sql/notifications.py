"""Appends made by other processes, announced by PostgreSQL's ``LISTEN/NOTIFY``.

Every PostgreSQL append sends ``NOTIFY esr_events, '<tenant id>'`` in its transaction, which the
server delivers when it commits. :class:`PostgresListener` keeps one connection listening on
that channel and wakes the subscribers of that tenant in this process at once; while it listens
the subscriptions poll only every ``fallback_poll`` seconds, and when its connection is lost they
go back to their own poll interval until it is back.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine

from esruntime.backends.sql.store import append_signals

__all__ = ["CHANNEL", "PostgresListener"]

logger = logging.getLogger("esruntime.consumers")

CHANNEL = "esr_events"


class PostgresListener:
    """A thread listening for appends to the database of ``engine`` (PostgreSQL only)."""

    def __init__(self, engine: Engine, *, fallback_poll: float = 1.0) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("LISTEN/NOTIFY needs PostgreSQL")
        self._engine = engine
        self.fallback_poll = fallback_poll
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._polls: dict[int, float | None] = {}
        self.listening = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="esruntime-pg-listener", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception as exc:
                logger.warning("listening for appends failed, polling instead: %s", exc)
            finally:
                self.listening.clear()
                self._restore_polls()
            self._stopping.wait(1.0)

    def _listen(self) -> None:
        pooled = self._engine.raw_connection()
        conn: Any = pooled.driver_connection
        pooled.detach()  # a connection of its own for as long as it listens
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self._stopping.is_set():
                self._relax_polls()
                for notice in conn.notifies(timeout=0.5):
                    self._wake(notice.payload)
        finally:
            conn.close()

    def _wake(self, payload: str) -> None:
        signals = append_signals(self._engine)
        try:
            signal = signals.get(int(payload))
        except ValueError:
            return
        if signal is not None:
            signal.notify()

    def _relax_polls(self) -> None:
        for tenant_id, signal in append_signals(self._engine).items():
            if tenant_id not in self._polls:
                self._polls[tenant_id] = signal.poll_interval
                signal.poll_interval = self.fallback_poll

    def _restore_polls(self) -> None:
        signals = append_signals(self._engine)
        for tenant_id, poll in self._polls.items():
            if tenant_id in signals:
                signals[tenant_id].poll_interval = poll
        self._polls.clear()
