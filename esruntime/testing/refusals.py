"""Asserting refusals of bad input, for the contract suites: one test tries many bad values
against many methods, and a failure names the method and the value."""

from __future__ import annotations

from collections.abc import Callable

import pytest

__all__ = ["assert_refused"]


def assert_refused(
    error: type[Exception], named: str, value: object, **calls: Callable[[], object]
) -> None:
    """Each of ``calls`` (by method name) raises ``error`` with ``named`` in its message: the
    bad ``value`` is refused, with the argument named."""
    for method, call in calls.items():
        try:
            call()
        except error as exc:
            if named not in str(exc):
                pytest.fail(f"{method} refused {value!r} without naming {named!r}: {exc}")
        except Exception as exc:
            pytest.fail(f"{method} refused {value!r} with {type(exc).__name__}: {exc}")
        else:
            pytest.fail(f"{method} accepted {value!r}")
