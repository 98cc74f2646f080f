"""The jittered exponential backoff of every retry esruntime makes: the command executor's
re-runs after a conflicting append, and the client's resends of a conflicting command.

Retry number ``n`` (from 1) waits a random part of ``step = min(cap, base * 2**(n-1))``: between
``floor * step`` and ``step``. Jitter spreads concurrent writers apart so that they stop
colliding; the cap bounds the wait however many retries are allowed. The executor waits with
full jitter (``floor=0``: contention clears fastest); the client with equal jitter
(``floor=0.5``: a resend over the network always leaves the server some room).
"""

from __future__ import annotations

import random

__all__ = ["backoff_delay"]

_MAX_DOUBLINGS = 64  # 2**64 times any positive base is past every cap


def backoff_delay(retry: int, base: float, cap: float, *, floor: float = 0.0) -> float:
    """Seconds to wait before retry number ``retry`` (from 1)."""
    step = min(cap, base * 2.0 ** min(max(retry - 1, 0), _MAX_DOUBLINGS))
    return random.uniform(step * floor, step)
