"""Names a package exports but imports on first use (PEP 562), so that importing the package
stays cheap: SQLAlchemy, the schema parser, wasmtime and the script service each take tens to
hundreds of milliseconds to load, which a command-line call or a client would pay for nothing.

::

    if not TYPE_CHECKING:  # type checkers see the real imports, above, under TYPE_CHECKING
        __getattr__, __dir__ = lazy_exports(__name__, {"Runtime": "esruntime.runtime"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__``: each name of ``homes`` is imported from the
    module it maps to when first asked for, then kept in the package like any other name."""
    namespace = vars(sys.modules[package])
    table = dict(homes)

    def __getattr__(name: str) -> Any:
        home = table.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
