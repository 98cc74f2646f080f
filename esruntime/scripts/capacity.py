"""A fair share of the script runner: how many runs at once, per tenant and in all.

A runner with a fixed number of slots (the process pool: one run per worker) serves every
tenant; without a bound per tenant, one tenant's endless loops would hold every worker and the
other tenants' runs would wait for them. :class:`RunGate` admits a run when the runner has a
free slot and the tenant holds fewer than its share, and makes it wait in line at most
``wait_s`` seconds; a run still waiting then is not run (:class:`CapacityBusy` says why).

The default share is every slot but one when the runner has more than one (``max(1, slots -
1)``), so another tenant always finds a slot free within the time it takes one run to end. A
runner that runs each script in the calling thread has no slots: the share is then off unless
one is given.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from attrs import frozen

from esruntime.errors import ConfigurationError

__all__ = ["CapacityBusy", "RunCapacity", "RunGate", "default_share"]


class CapacityBusy(Exception):
    """A run waited ``wait_s`` seconds in line and was not admitted; the message says why."""


@frozen
class RunCapacity:
    """How a script service shares its runner between tenants.

    ``runs_per_tenant``: the most runs of one tenant at once (None: ``max(1, slots - 1)`` for a
    runner with slots, no bound otherwise). ``wait_s``: how long a run may wait for a slot
    before it is recorded ``cancelled`` with a ``CapacityError``.
    """

    runs_per_tenant: int | None = None
    wait_s: float = 10.0

    def __attrs_post_init__(self) -> None:
        share = self.runs_per_tenant
        if share is not None and (isinstance(share, bool) or not isinstance(share, int)):
            raise ConfigurationError("RunCapacity.runs_per_tenant must be an integer or None")
        if share is not None and share < 1:
            raise ConfigurationError("RunCapacity.runs_per_tenant must be at least 1")
        wait = self.wait_s
        if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 <= wait <= 3600:
            raise ConfigurationError("RunCapacity.wait_s must be between 0 and 3600 seconds")


def default_share(slots: int | None) -> int | None:
    """A tenant's default share of a runner with ``slots`` runs at once (None: unbounded)."""
    return None if slots is None else max(1, slots - 1)


class RunGate:
    """Admits runs: at most ``slots`` at once in all and ``per_tenant`` per tenant (None: no
    bound), each waiting at most ``wait_s`` seconds; thread-safe."""

    def __init__(self, *, slots: int | None, per_tenant: int | None, wait_s: float) -> None:
        self.slots = slots
        self.per_tenant = per_tenant
        self.wait_s = wait_s
        self._running: dict[str, int] = {}
        self._total = 0
        self._changed = threading.Condition()

    @contextmanager
    def admit(self, tenant: str, *, waiting: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold one slot for ``tenant`` while the block runs; CapacityBusy if none came free.

        ``waiting`` is called (outside the gate's lock) before waiting, only when no slot is
        free at once: the executor records the run ``pending`` then, and only then.
        """
        if not self._acquire(tenant, wait=False):
            if waiting is not None:
                waiting()
            self._acquire(tenant, wait=True)
        try:
            yield
        finally:
            self._release(tenant)

    def running(self, tenant: str) -> int:
        """The runs of ``tenant`` admitted and not yet ended."""
        with self._changed:
            return self._running.get(tenant, 0)

    def _blocked_by(self, tenant: str) -> str | None:
        if self.per_tenant is not None and self._running.get(tenant, 0) >= self.per_tenant:
            return "tenant"
        if self.slots is not None and self._total >= self.slots:
            return "runner"
        return None

    def _acquire(self, tenant: str, *, wait: bool) -> bool:
        deadline = time.monotonic() + self.wait_s
        with self._changed:
            while (blocked := self._blocked_by(tenant)) is not None:
                if not wait:
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CapacityBusy(self._busy_message(tenant, blocked))
                self._changed.wait(left)
            self._running[tenant] = self._running.get(tenant, 0) + 1
            self._total += 1
            return True

    def _release(self, tenant: str) -> None:
        with self._changed:
            left = self._running[tenant] - 1
            if left:
                self._running[tenant] = left
            else:
                del self._running[tenant]
            self._total -= 1
            self._changed.notify_all()

    def _busy_message(self, tenant: str, blocked: str) -> str:
        wait = f"{self.wait_s:g} s"
        if blocked == "tenant":
            return (
                f"The tenant's script capacity is busy: {self._running.get(tenant, 0)} run(s) of "
                f"tenant {tenant!r} are running (runs_per_tenant) and none ended within {wait}; "
                "this one was not run"
            )
        return (
            f"The script runner is busy: all {self.slots} of its runs at once are taken and none "
            f"ended within {wait}; this one was not run"
        )
