"""The public surface is explicit, sorted, and importing it has no side effects."""

from __future__ import annotations

import subprocess
import sys

import pytest

import esruntime


def python(code: str) -> str:
    """What ``code`` prints, run by a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout


def test_all_is_sorted_and_every_name_exists() -> None:
    assert esruntime.__all__ == sorted(esruntime.__all__)
    for name in esruntime.__all__:
        assert hasattr(esruntime, name), name


def test_public_surface_is_what_we_promise() -> None:
    assert set(esruntime.__all__) >= {
        "AppendCondition",
        "Event",
        "EventStore",
        "InMemoryEventStore",
        "IntegrityError",
        "Query",
        "QueryItem",
        "SequencedEvent",
        "SqlEventStore",
    }


def test_import_does_not_load_optional_extras_or_touch_loggers() -> None:
    code = (
        "import logging, sys; before = dict(logging.root.manager.loggerDict);"
        "import esruntime;"
        "optional = ('fastapi', 'flask', 'psycopg', 'umadb', 'eventsourcing', 'redis');"
        "extras = [m for m in optional if m in sys.modules];"
        "print(extras, logging.root.handlers)"
    )
    assert python(code).strip() == "[] []"


def test_every_error_has_one_root() -> None:
    from esruntime import errors

    classes = [getattr(errors, name) for name in errors.__all__]
    exceptions = [c for c in classes if issubclass(c, BaseException)]
    assert len(exceptions) >= len(classes) - 1  # SchemaProblem is a value, not an error
    for exception in exceptions:
        assert issubclass(exception, errors.EsruntimeError), exception


def test_wasmtime_is_imported_only_when_a_webassembly_handler_is_used() -> None:
    code = (
        "import sys; import esruntime.commands, esruntime.handlers;"
        "before = 'wasmtime' in sys.modules;"
        "from esruntime.handlers import load_wasm_handler;"
        "print(before, 'wasmtime' in sys.modules)"
    )
    assert python(code).split() == ["False", "True"]


def test_the_database_layer_loads_on_first_use_not_on_import() -> None:
    loaded = "print('sqlalchemy' in sys.modules, 'lark' in sys.modules);"
    code = f"import sys, esruntime, esruntime.cli; {loaded} esruntime.SqlEventStore; {loaded}"
    assert python(code).split("\n")[:2] == ["False False", "True True"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        esruntime.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
