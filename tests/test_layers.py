"""The package's layers, read from its imports: protocols and domain modules never import a
backend, and backends are imported only by the backends themselves, the runtime, the test
helpers and the top-level facade (others open them through the URL entry point,
``esruntime.backends``)."""

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


def test_the_package_keeps_its_layers() -> None:
    assert violations() == []


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
