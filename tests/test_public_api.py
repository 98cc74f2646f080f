"""The public surface is explicit, sorted, and importing it has no side effects."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_the_main_tasks_need_only_the_top_level_names() -> None:
    from esruntime.commands.executor import CommandResult
    from esruntime.handlers.python import Decision, Emit, PythonHandler, Rejection
    from esruntime.runtime import Runtime

    facade = {
        "CommandResult": CommandResult,  # the executor's, not the HTTP client's
        "Decision": Decision,
        "Emit": Emit,
        "PythonHandler": PythonHandler,
        "Rejection": Rejection,
        "Runtime": Runtime,
    }
    for name, value in facade.items():
        assert name in esruntime.__all__, name
        assert getattr(esruntime, name) is value, name
    # Commands, schema pushes and scripts name their tenant with one keyword.
    for method in (Runtime.execute, Runtime.push_schema):
        assert inspect.signature(method).parameters["tenant"].kind is inspect.Parameter.KEYWORD_ONLY


def test_every_public_name_and_facade_method_is_documented() -> None:
    from esruntime.runtime import Runtime, Tenant

    for name in esruntime.__all__:
        value = getattr(esruntime, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name
    for cls in (Runtime, Tenant, esruntime.PythonHandler, esruntime.CommandResult):
        for name, member in vars(cls).items():
            if name.startswith("_"):
                continue
            if isinstance(member, property):
                assert member.__doc__, f"{cls.__name__}.{name}"
            elif callable(getattr(cls, name)):
                assert inspect.getdoc(getattr(cls, name)), f"{cls.__name__}.{name}"


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


def test_handler_and_command_names_load_on_first_use_not_on_import() -> None:
    loaded = "print('esruntime.handlers' in sys.modules, 'esruntime.commands' in sys.modules);"
    code = f"import sys, esruntime; {loaded} esruntime.PythonHandler, esruntime.CommandResult;"
    assert python(code + loaded).split() == ["False", "False", "True", "True"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        esruntime.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_the_client_and_the_library_share_no_name_for_different_types() -> None:
    import esruntime.client
    import esruntime.errors
    import esruntime.schema

    library = {name: getattr(esruntime, name) for name in esruntime.__all__}
    library |= {name: getattr(esruntime.schema, name) for name in esruntime.schema.__all__}
    library |= {name: getattr(esruntime.errors, name) for name in esruntime.errors.__all__}
    for name in set(esruntime.client.__all__) & set(library):
        assert getattr(esruntime.client, name) is library[name], name
    # The client's command answers have their own name; the runtime's CommandResult is another type.
    assert "CommandResult" not in esruntime.client.__all__
    assert not hasattr(esruntime.client, "CommandResult")
    assert esruntime.client.CommandResponse != esruntime.CommandResult
    # A rejected schema push is one error holding one value, in process and through the client.
    assert esruntime.client.SchemaRejectedError is esruntime.SchemaRejectedError
    assert esruntime.client.SchemaRejected is esruntime.schema.SchemaRejected
    assert esruntime.client.SchemaAccepted is esruntime.schema.SchemaAccepted
    # An upload is refused with the problems a handler registered in code is refused with.
    assert esruntime.client.ManifestProblem is esruntime.errors.ManifestProblem


def test_every_name_of_the_client_is_documented() -> None:
    import esruntime.client

    page = (Path(__file__).parents[1] / "docs" / "client.md").read_text()
    for name in esruntime.client.__all__:
        assert re.search(rf"\b{name}\b", page), name
        value = getattr(esruntime.client, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name
    assert "`CommandResponse`" in page
    assert "`SchemaRejectedError`" in page


BACKEND_MODULES = (
    "esruntime.protocols",
    "esruntime.backends",
    "esruntime.backends.memory",
    "esruntime.backends.sql",
    "esruntime.testing",
)


@pytest.mark.parametrize("name", BACKEND_MODULES)
def test_the_backend_surface_is_sorted_and_documented(name: str) -> None:
    import importlib

    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__)
    for public in module.__all__:
        value = getattr(module, public)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{name}.{public}"


@pytest.mark.parametrize("name", BACKEND_MODULES)
def test_every_backend_name_is_on_the_backends_page(name: str) -> None:
    import importlib

    page = (Path(__file__).parents[1] / "docs" / "backends.md").read_text()
    missing = [
        public
        for public in importlib.import_module(name).__all__
        if not re.search(rf"`{public}\b", page)
    ]
    assert missing == [], name


def test_every_backend_implements_the_storage_protocols(tmp_path: Any) -> None:
    from esruntime import protocols
    from esruntime.backends.memory import MemoryBackend
    from esruntime.backends.sql import SqlBackend

    for backend in (MemoryBackend(), SqlBackend(f"sqlite:///{tmp_path}/api.db")):
        assert isinstance(backend, protocols.Backend)
        assert isinstance(backend.event_store("acme"), protocols.EventStore)
        assert isinstance(backend.schema_storage("acme"), protocols.SchemaStorage)
        assert isinstance(backend.handler_storage("acme"), protocols.HandlerStorage)
        assert isinstance(backend.api_key_storage(), protocols.ApiKeyStorage)
        assert isinstance(backend.script_repository(), protocols.ScriptRepository)
        assert isinstance(backend.consumer_store(), protocols.ConsumerStore)
        assert isinstance(backend.schedule_store(), protocols.ScheduleStore)
        backend.close()


def test_the_services_are_what_their_protocols_describe() -> None:
    from esruntime import protocols
    from esruntime.backends.memory import (
        InMemoryApiKeyStore,
        InMemoryEventStore,
        InMemoryHandlerRegistry,
        InMemorySchemaRegistry,
    )

    store = InMemoryEventStore()
    assert isinstance(InMemorySchemaRegistry(store), protocols.SchemaRegistry)
    assert isinstance(InMemoryHandlerRegistry(lambda wasm: None), protocols.HandlerRegistry)  # type: ignore[arg-type,return-value]
    assert isinstance(InMemoryApiKeyStore(), protocols.ApiKeyStore)


def test_old_import_names_that_the_docs_used_still_work() -> None:
    from esruntime.backends.memory import InMemoryScriptRepository
    from esruntime.scripts import InMemoryScriptRepository as from_scripts

    assert from_scripts is InMemoryScriptRepository
    from esruntime.backends.memory import InMemoryConsumerStore, InMemoryScheduleStore
    from esruntime.consumers import InMemoryConsumerStore as from_consumers
    from esruntime.triggers import InMemoryScheduleStore as from_triggers

    assert from_consumers is InMemoryConsumerStore
    assert from_triggers is InMemoryScheduleStore
    assert InMemoryConsumerStore.__module__ == "esruntime.backends.memory.consumers"
    assert esruntime.InMemorySchemaRegistry.__module__ == "esruntime.backends.memory.schema"


def test_the_url_entry_point_and_the_memory_store_load_no_database_layer() -> None:
    loaded = "print('sqlalchemy' in sys.modules, 'lark' in sys.modules);"
    code = (
        "import sys; from esruntime.backends import open_event_store;"
        f"{loaded} open_event_store('memory://'); {loaded}"
    )
    assert python(code).split("\n")[:2] == ["False False", "False False"]
