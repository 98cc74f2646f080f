"""Running work on several threads released at once, for the contract suites' races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["run_together"]

T = TypeVar("T")


def run_together(count: int, work: Callable[[int], T], *, timeout: float = 60.0) -> list[T]:
    """``work(i)`` for ``i`` in ``range(count)``, on ``count`` threads that start together.

    Returns the results in ``i`` order; raises the first error a thread raised, or
    ``TimeoutError`` when the threads are not done within ``timeout`` seconds (a deadlock).
    """
    barrier = threading.Barrier(count)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout)
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"a thread was still working after {timeout} s")
    if errors:
        raise errors[0]
    return [results[i] for i in range(count)]
