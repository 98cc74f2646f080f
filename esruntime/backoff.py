"""The exponential backoff of every retry esruntime makes: the command executor's re-runs after
a conflicting append, the client's resends of a conflicting command, and a durable consumer's
retries of a failing event.

Retry number ``n`` (from 1) has the step ``min(cap, base * factor**(n-1))``
(:func:`backoff_step`). A consumer waits the step itself: its waits are documented (2, 4 and
8 s by default) and a failing event has no rival to spread apart from. The executor and the
client wait a random part of the step, between ``floor * step`` and ``step``
(:func:`backoff_delay`, doubling): jitter spreads concurrent writers apart so that they stop
colliding, and the cap bounds the wait however many retries are allowed. The executor waits
with full jitter (``floor=0``: contention clears fastest); the client with equal jitter
(``floor=0.5``: a resend over the network always leaves the server some room).
"""

from __future__ import annotations

import math
import random

__all__ = ["backoff_delay", "backoff_step"]


def backoff_step(retry: int, base: float, cap: float, *, factor: float = 2.0) -> float:
    """The wait before retry number ``retry`` (from 1), without jitter: ``base`` multiplied by
    ``factor`` once per earlier retry, at most ``cap`` (however large ``retry`` is)."""
    try:
        step = base * float(factor) ** max(retry - 1, 0)
    except OverflowError:  # factor ** (retry - 1) is past every float, so past every cap
        step = math.inf if base > 0 else 0.0
    return min(cap, step)


def backoff_delay(retry: int, base: float, cap: float, *, floor: float = 0.0) -> float:
    """Seconds to wait before retry number ``retry`` (from 1): a random part of the doubling
    step, from ``floor`` times the step to the step."""
    step = backoff_step(retry, base, cap)
    return random.uniform(step * floor, step)
