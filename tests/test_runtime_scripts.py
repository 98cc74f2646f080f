"""The runtime's script service: built from the backend on first use, on memory, SQLite and
PostgreSQL, publishing to each tenant's own store against its schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from esruntime import Query, QueryItem
from esruntime.errors import ConfigurationError, ScriptExecutionError, ScriptNotFoundError
from esruntime.runtime import Runtime
from esruntime.scripts.engines import ProcessPoolRunner
from tests.commands.bank import SCHEMA, Deposit

OPEN = """
const { account_id, owner } = context.input;
const published = await events.publish("AccountOpened", { account_id, owner });
return { published, tenant: context.tenantId };
"""


@pytest.fixture
def runtime(runtime_url: str) -> Iterator[Runtime]:
    with Runtime.from_url(runtime_url) as runtime:
        runtime.push_schema(SCHEMA)
        yield runtime


def test_a_script_publishes_to_the_tenants_store_against_its_schema(runtime: Runtime) -> None:
    runtime.scripts.create(name="open account", type="embedded", source=OPEN)
    output = runtime.scripts.call("open account", {"account_id": "a1", "owner": "Ada"})
    assert output == {"published": True, "tenant": "default"}
    events = runtime.tenant().store.read(Query([QueryItem(types=("AccountOpened",))])).events
    assert [(e.data, e.tags) for e in events] == [
        ({"account_id": "a1", "owner": "Ada", "currency": "EUR"}, ("account_id:a1",))
    ]


def test_an_event_that_breaks_the_schema_is_refused_and_nothing_is_appended(
    runtime: Runtime,
) -> None:
    runtime.scripts.create(name="open account", type="embedded", source=OPEN)
    with pytest.raises(ScriptExecutionError, match="owner"):
        runtime.scripts.call("open account", {"account_id": "a1", "owner": 7})
    assert runtime.tenant().store.head() is None


def test_each_tenant_has_its_own_scripts_and_events(runtime: Runtime) -> None:
    runtime.push_schema(SCHEMA, tenant="acme")
    runtime.scripts.create(name="open account", type="embedded", source=OPEN, tenant="acme")
    with pytest.raises(ScriptNotFoundError):
        runtime.scripts.call("open account", {"account_id": "a1", "owner": "Ada"})
    output = runtime.scripts.call(
        "open account", {"account_id": "a1", "owner": "Ada"}, tenant="acme"
    )
    assert output["tenant"] == "acme"
    assert runtime.tenant("acme").store.head() == 1
    assert runtime.tenant().store.head() is None
    # Commands name their tenant the way scripts do.
    deposit = {"account_id": "a1", "amount": 5}
    runtime.register(Deposit)
    assert runtime.execute("deposit", deposit, tenant="acme").position == 2
    assert runtime.tenant().store.head() is None


def test_scripts_and_their_executions_outlive_the_process_in_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runtime.db"
    with Runtime.from_url(url) as first:
        first.tenant().schema_registry.push(SCHEMA)
        script = first.scripts.create(name="open account", type="embedded", source=OPEN)
        execution = first.scripts.execute(script.id, {"account_id": "a1", "owner": "Ada"})
    with Runtime.from_url(url) as second:
        assert second.scripts.get(script.id).source == OPEN
        assert second.scripts.execution(execution.id).status == "completed"
        assert second.tenant().store.head() == 1


def test_a_runner_factory_puts_scripts_in_worker_processes(tmp_path: Path) -> None:
    runtime = Runtime.from_url(
        f"sqlite:///{tmp_path}/runtime.db",
        script_runner=lambda: ProcessPoolRunner(workers=1),
    )
    with runtime:
        runtime.tenant().schema_registry.push(SCHEMA)
        runtime.scripts.create(name="open account", type="embedded", source=OPEN)
        output = runtime.scripts.call("open account", {"account_id": "a1", "owner": "Ada"})
        assert runtime.tenant().store.head() == 1
        assert output["tenant"] == "default"
    with pytest.raises(ConfigurationError, match="closed"):
        runtime.scripts  # noqa: B018
