"""The package's layers, read from its imports.

Read top-down, ``esruntime/`` is, in this order:

1. **protocols** (``esruntime.protocols``): what a backend implements, stated in the domain's
   value types; with the **domain** (events, schema, handlers, commands, scripts, auth,
   consumers, triggers, and the modules they share: errors, checks, encoding, idempotency,
   subscriptions, metrics, lazy, backoff): the values and the rules. This is the core.
2. **backends** (``esruntime.backends.memory``, ``.sql``, ``.umadb``): storage only.
3. **runtime** (``esruntime.runtime``): wires a backend's storage to the domain services.
4. **web** (``esruntime.web``): the HTTP API and the pages, on a runtime.
5. the **adapters** (``esruntime.contrib``: FastAPI, Flask, uvicorn), the command line
   (``esruntime.cli``), the client (``esruntime.client``) and the test helpers
   (``esruntime.testing``).
6. the facade, ``esruntime/__init__.py`` (and ``__main__``), which exports the main names.

The rules checked here: no module imports a layer above its own (:data:`ORDER`); no protocol
or domain module imports a backend; and a backend module is imported only by the backends
themselves, the runtime, the test helpers and the facade. Every other layer opens a backend
through the URL entry point, ``esruntime.backends`` (its ``__init__`` and ``urls``: no backend
of their own, they import one only when a URL names it).

The exceptions, all deliberate:

- the facade exports ``InMemoryEventStore``, ``SqlEventStore`` and the schema registries by name,
  imported on first use (it is the one module allowed to import every layer);
- :data:`COMPATIBILITY`: ``esruntime.scripts``, ``esruntime.consumers`` and
  ``esruntime.triggers`` re-export their in-memory store from ``esruntime.backends.memory``,
  lazily, for code written before the memory backend held it. The domain never uses these names
  itself; they are resolved only when a user's code asks for them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "esruntime"

DOMAIN = (
    *("errors", "checks", "encoding", "events", "idempotency", "subscriptions", "metrics"),
    *("protocols", "schema", "handlers", "commands", "scripts", "auth", "consumers", "triggers"),
)
"""The core: its values, what a backend implements, and the behaviour built on it."""

MAY_IMPORT_BACKENDS = ("backends", "runtime", "testing", "__init__")
"""Where a backend module may be imported: the top-level ``esruntime/__init__.py`` is the facade
that exports the stores by name."""

ENTRY_POINT = ("esruntime.backends", "esruntime.backends.urls")
"""The URL entry point: no backend of its own, it imports one only when a URL names it."""

COMPATIBILITY = {
    ("scripts/__init__.py", "esruntime.backends.memory.scripts"),
    ("consumers/__init__.py", "esruntime.backends.memory.consumers"),
    ("triggers/__init__.py", "esruntime.backends.memory.schedules"),
}
"""``esruntime.scripts.InMemoryScriptRepository``, ``esruntime.consumers.InMemoryConsumerStore``
and ``esruntime.triggers.InMemoryScheduleStore`` stay importable for code written before the
memory backend held them; they are resolved on first use, never by the domain itself."""


ORDER = (
    ("protocols", *DOMAIN, "lazy", "backoff"),
    ("backends",),
    ("runtime",),
    ("web",),
    ("contrib", "cli", "client", "testing"),
    ("__init__", "__main__"),
)
"""The layers from the bottom up (top-level modules and packages of ``esruntime/``): a module
may import its own layer and those below it."""


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at any depth (functions, ``TYPE_CHECKING`` blocks), and
    every string constant naming an esruntime module (lazy imports by name)."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            submodules = (f"{node.module}.{alias.name}" for alias in node.names)
            yield from (name for name in submodules if is_module(name))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("esruntime.")
            and node.value.replace(".", "").replace("_", "").isalnum()
        ):
            yield node.value


def is_module(name: str) -> bool:
    """Whether ``name`` is a module of the package (not a name defined in one)."""
    if not all(name.split(".")):  # "esruntime.": a prefix, not a module
        return False
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def is_backend(module: str) -> bool:
    return module.startswith("esruntime.backends.") and module not in ENTRY_POINT


def layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def violations() -> list[str]:
    found = []
    for path in modules():
        relative = path.relative_to(PACKAGE).as_posix()
        top = layer(path)
        for module in set(imported(path)):
            if (relative, module) in COMPATIBILITY:
                continue
            if top in DOMAIN and module.startswith("esruntime.backends"):
                found.append(f"{relative} (domain) imports {module}")
            elif is_backend(module) and top not in MAY_IMPORT_BACKENDS:
                found.append(f"{relative} imports the backend module {module}")
    return sorted(found)


def rank(top: str) -> int:
    """The position of a top-level module or package in :data:`ORDER`."""
    for index, names in enumerate(ORDER):
        if top in names:
            return index
    raise AssertionError(f"esruntime/{top} is in no layer: add it to ORDER")


def upward_imports(allowed: set[tuple[str, str]] = COMPATIBILITY) -> list[str]:
    """Every import of a module from a layer above its own, but the ``allowed`` ones."""
    found = []
    for path in modules():
        relative = path.relative_to(PACKAGE).as_posix()
        own = rank(layer(path))
        for module in set(imported(path)):
            if (relative, module) in allowed or not module.startswith("esruntime."):
                continue
            if not is_module(module):  # a string like a module's name: a route's, a logger's
                continue
            if rank(module.split(".")[1]) > own:
                found.append(f"{relative} imports {module}, a layer above its own")
    return sorted(found)


def test_the_package_keeps_its_layers() -> None:
    assert violations() == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports() == []


def test_the_compatibility_re_exports_are_the_only_upward_imports() -> None:
    expected = [
        f"{relative} imports {module}, a layer above its own" for relative, module in COMPATIBILITY
    ]
    assert upward_imports(allowed=set()) == sorted(expected)


def test_every_top_level_module_has_a_layer() -> None:
    tops = {layer(path) for path in modules()}
    assert {top for top in tops if all(top not in names for names in ORDER)} == set()
    assert rank("web") > rank("runtime") > rank("backends") > rank("events")


def test_the_check_reads_every_module_and_sees_lazy_imports() -> None:
    paths = modules()
    assert len(paths) > 150
    facade = set(imported(PACKAGE / "__init__.py"))
    assert "esruntime.backends.sql" in facade  # a TYPE_CHECKING import
    assert "esruntime.backends.memory" in facade  # a lazy import, by name
    assert any(layer(p) == "protocols" for p in paths)


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("esruntime.backends.sql.store", True),
        ("esruntime.backends.memory", True),
        ("esruntime.backends.sql", True),
        ("esruntime.backends", False),
        ("esruntime.backends.urls", False),
        ("esruntime.schema.registry", False),
    ],
)
def test_backend_modules_are_told_from_the_entry_point(module: str, expected: bool) -> None:
    assert is_backend(module) is expected


def test_a_planted_domain_import_of_a_backend_is_caught(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from esruntime.backends.sql.store import SqlEventStore\n"
        "def later():\n"
        "    import esruntime.backends.memory\n"
    )
    assert {"esruntime.backends.sql.store", "esruntime.backends.memory"} <= set(imported(planted))
