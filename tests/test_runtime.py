"""The runtime facade: tenants, Python and uploaded handlers, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime import InMemoryEventStore, SqlEventStore
from esruntime.backends.memory import InMemoryScriptRepository
from esruntime.errors import (
    ConfigurationError,
    SchemaRejectedError,
    SchemaSyntaxError,
    ScriptExecutionError,
    UnknownCommandError,
)
from esruntime.handlers.registry import UploadAccepted, UploadRejected
from esruntime.runtime import MemoryBackend, Runtime, SqlBackend
from esruntime.runtime.recent import Recent
from esruntime.scripts.engines import QuickJsRunner
from esruntime.scripts.service import ScriptService
from tests.commands.bank import SCHEMA, Deposit, OpenAccount, TransferFunds
from tests.wasm.modules import counter_wasm, returning

COUNTED = "event Counted { @counter_id: String }"
CLOSED = returning('{"rejected":{"code":"closed","message":"counting is closed"}}')


def shares_positions(runtime: Runtime) -> bool:
    """Whether the tenants' events take positions from one sequence (a UmaDB server)."""
    return runtime.backend.name == "umadb"


@pytest.fixture
def runtime(runtime_url: str) -> Iterator[Runtime]:
    with Runtime.from_url(runtime_url) as runtime:
        for handler in (OpenAccount, Deposit, TransferFunds):
            runtime.register(handler)
        yield runtime


def bank_tenant(runtime: Runtime, name: str | None = None) -> Any:
    tenant = runtime.tenant(name)
    tenant.schema_registry.push(SCHEMA + COUNTED)
    return tenant


def test_python_handlers_registered_once_serve_the_default_tenant(runtime: Runtime) -> None:
    tenant = bank_tenant(runtime)
    assert runtime.execute("open_account", {"account_id": "a1", "owner": "Ada"}).outcome == "ok"
    assert runtime.execute("open_account", {"account_id": "a2", "owner": "Bob"}).outcome == "ok"
    runtime.execute("deposit", {"account_id": "a1", "amount": 80})
    moved = runtime.execute(
        "transfer_funds", {"source_account": "a1", "dest_account": "a2", "amount": 50}
    )
    assert (moved.outcome, moved.position) == ("ok", 5)
    refused = runtime.execute(
        "transfer_funds", {"source_account": "a1", "dest_account": "a2", "amount": 50}
    )
    assert (refused.outcome, refused.code) == ("rejected", "insufficient_funds")
    assert [e.type for e in tenant.store.read()][-2:] == ["SentFunds", "ReceivedFunds"]
    assert tenant.name == runtime.default_tenant == "default"


def test_each_tenant_has_its_own_store_schema_and_uploaded_handlers(runtime: Runtime) -> None:
    acme, globex = bank_tenant(runtime, "acme"), runtime.tenant("globex")
    assert isinstance(acme.upload("count", counter_wasm(), "1.0.0"), UploadAccepted)
    assert acme.execute("count", {"counter_id": "c1"}).position == 1

    with pytest.raises(UnknownCommandError, match="No handler registered with name 'count'"):
        globex.execute("count", {"counter_id": "c1"})
    assert globex.store.head() is None
    assert globex.schema_registry.current() is None
    assert [h.name for h in globex.handlers()] == ["deposit", "open_account", "transfer_funds"]
    # Python handlers serve every tenant, each against its own events.
    globex.schema_registry.push(SCHEMA)
    first = globex.execute("open_account", {"account_id": "a1", "owner": "G"}).position
    second = acme.execute("open_account", {"account_id": "a1", "owner": "A"}).position
    assert first is not None
    assert second is not None
    if shares_positions(runtime):  # one sequence for every tenant: each sees only its own
        assert 1 < first < second
        assert [e.position for e in globex.store.read()] == [first]
    else:
        assert (first, second) == (1, 2)
    assert runtime.tenants == ["acme", "globex"]


def test_the_runtime_pushes_schemas_and_runs_commands_for_the_tenant_named(
    runtime: Runtime,
) -> None:
    assert runtime.push_schema(SCHEMA, tenant="acme").version == "0.1.0"
    assert runtime.tenant().current_schema() is None
    opened = runtime.execute("open_account", {"account_id": "a1", "owner": "Ada"}, tenant="acme")
    assert (opened.outcome, opened.position) == ("ok", 1)
    assert runtime.tenant().store.head() is None
    # The same text again changes nothing; a change that breaks stored events needs force.
    assert runtime.push_schema(SCHEMA, tenant="acme").version == "0.1.0"
    with pytest.raises(SchemaRejectedError):
        runtime.push_schema(COUNTED, tenant="acme")
    assert runtime.push_schema(COUNTED, tenant="acme", force=True).version == "1.0.0"
    with pytest.raises(SchemaSyntaxError):
        runtime.push_schema("event {", tenant="acme")
    # Without ``tenant=``: the default tenant, as for scripts.
    runtime.push_schema(SCHEMA)
    position = runtime.execute("open_account", {"account_id": "a1", "owner": "Bo"}).position
    assert position is not None
    assert position > 1 if shares_positions(runtime) else position == 1
    assert [e.position for e in runtime.tenant().store.read()] == [position]
    acme = runtime.tenant("acme").current_schema()
    assert acme is not None
    assert [e.name for e in acme.events] == ["Counted"]
    with pytest.raises(ConfigurationError, match="tenant name"):
        runtime.execute("open_account", {"account_id": "a2", "owner": "Cy"}, tenant="")
    with pytest.raises(ConfigurationError, match="tenant name"):
        runtime.push_schema(SCHEMA, tenant="")


def test_a_new_upload_takes_effect_for_the_next_command(runtime: Runtime) -> None:
    tenant = bank_tenant(runtime)
    tenant.upload("count", counter_wasm(), "1.0.0")
    first = runtime.execute("count", {"counter_id": "c1"})
    assert first.outcome == "ok"
    [event] = tenant.store.read().events
    assert event.event.metadata["handler_version"] == "1.0.0"

    accepted = tenant.upload("count", counter_wasm(**CLOSED), "2.0.0")
    assert isinstance(accepted, UploadAccepted)
    second = runtime.execute("count", {"counter_id": "c2"})
    assert (second.outcome, second.code) == ("rejected", "closed")

    # Deleting it ends the command; uploading again brings it back.
    assert tenant.delete("count")
    with pytest.raises(UnknownCommandError):
        runtime.execute("count", {"counter_id": "c3"})
    tenant.upload("count", counter_wasm(), "3.0.0")
    third = runtime.execute("count", {"counter_id": "c3"})
    assert third.outcome == "ok"
    assert tenant.store.read().events[-1].event.metadata["handler_version"] == "3.0.0"


def test_make_current_rolls_back_for_the_next_command_and_events_name_the_version(
    runtime: Runtime,
) -> None:
    tenant = bank_tenant(runtime)
    tenant.upload("count", counter_wasm(), "1.0.0")
    tenant.upload("count", counter_wasm(**CLOSED), "2.0.0")
    assert runtime.execute("count", {"counter_id": "c1"}).code == "closed"
    rolled = tenant.make_current("count", "1.0.0")
    assert isinstance(rolled, UploadAccepted)
    assert tenant.handler("count").version == "1.0.0"
    assert [v.version for v in tenant.versions("count")] == ["1.0.0", "2.0.0"]
    assert runtime.execute("count", {"counter_id": "c1"}).outcome == "ok"
    assert tenant.store.read().events[-1].event.metadata["handler_version"] == "1.0.0"
    refused = tenant.make_current("deposit", "1.0.0")  # in code: nothing uploaded to choose
    assert isinstance(refused, UploadRejected)
    assert refused.errors[0].code == "handler_in_code"


def test_loaded_modules_are_shared_by_sha256_across_tenants(runtime: Runtime) -> None:
    wasm = counter_wasm()
    for name in ("acme", "globex"):
        bank_tenant(runtime, name).upload("count", wasm, "1.0.0")
        runtime.tenant(name).execute("count", {"counter_id": "c1"})
    assert len(runtime.modules) == 1
    assert runtime.modules.load(wasm) is runtime.modules.load(bytes(wasm))


def test_a_handler_registered_in_code_cannot_be_replaced_by_an_upload(runtime: Runtime) -> None:
    tenant = bank_tenant(runtime)
    result = tenant.upload("deposit", counter_wasm("deposit"), "1.0.0")
    assert isinstance(result, UploadRejected)
    assert [e.code for e in result.errors] == ["handler_in_code"]
    info = tenant.handler("deposit")
    assert info is not None
    assert (info.kind, info.event_types[0], info.domain_id_fields) == (
        "python",
        "AccountOpened",
        ("account_id",),
    )


@pytest.mark.parametrize("name", ["", "Count", "x" * 500, "count\x00", "../count", "count "])
def test_hostile_command_names_are_unknown_commands(runtime: Runtime, name: str) -> None:
    bank_tenant(runtime).upload("count", counter_wasm(), "1.0.0")
    with pytest.raises(UnknownCommandError):
        runtime.execute(name, {"counter_id": "c1"})
    assert runtime.tenant().handler(name) is None


def test_commands_run_concurrently_while_new_versions_are_uploaded(runtime: Runtime) -> None:
    tenant = bank_tenant(runtime)
    tenant.upload("count", counter_wasm(), "1.0.0")
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def count(worker: int) -> None:
        try:
            for i in range(10):
                result = tenant.execute("count", {"counter_id": f"w{worker}-{i}"})
                outcomes.append(result.code or result.outcome)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=count, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    tenant.upload("count", counter_wasm(**CLOSED), "2.0.0")
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(outcomes) == 40
    assert set(outcomes) <= {"ok", "closed"}
    assert tenant.store.head() == outcomes.count("ok")
    assert tenant.executions_24h("count") == 40


def test_metrics_count_commands_by_tenant_handler_and_outcome(runtime: Runtime) -> None:
    bank_tenant(runtime, "acme")
    acme = runtime.tenant("acme")
    acme.execute("open_account", {"account_id": "a1", "owner": "Ada"})
    acme.execute("open_account", {"account_id": "a1", "owner": "Ada"})
    text = runtime.metrics.render("acme").decode()
    assert 'esruntime_commands_total{handler="open_account",outcome="ok",tenant="acme"} 1.0' in text
    assert (
        'esruntime_commands_total{handler="open_account",outcome="rejected",tenant="acme"} 1.0'
        in text
    )
    assert 'esruntime_events_appended_total{handler="open_account",tenant="acme"} 1.0' in text
    assert 'tenant="acme"' not in runtime.metrics.render("globex").decode()


def test_everything_survives_a_restart_in_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runtime.db"
    with Runtime.from_url(url) as runtime:
        tenant = bank_tenant(runtime, "acme")
        tenant.upload("count", counter_wasm(), "1.0.0")
        tenant.execute("count", {"counter_id": "c1"}, idempotency_key="k1")
    with Runtime.from_url(url) as again:
        acme = again.tenant("acme")
        assert acme.schema_registry.current() is not None
        replayed = acme.execute("count", {"counter_id": "c1"}, idempotency_key="k1")
        assert (replayed.outcome, replayed.replayed, replayed.position) == ("ok", True, 1)
        assert acme.executions_24h("count") == 2
        assert [h.name for h in acme.handlers()] == ["count"]


def test_an_upload_in_another_runtime_on_the_same_database_takes_effect(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runtime.db"
    with Runtime.from_url(url) as one, Runtime.from_url(url) as two:
        bank_tenant(one).upload("count", counter_wasm(), "1.0.0")
        assert two.execute("count", {"counter_id": "c1"}).outcome == "ok"
        one.tenant().upload("count", counter_wasm(**CLOSED), "2.0.0")
        assert two.execute("count", {"counter_id": "c2"}).code == "closed"


def test_services_passed_in_serve_the_default_tenant(tmp_path: Path) -> None:
    store = SqlEventStore(f"sqlite:///{tmp_path}/events.db", tenant="acme")
    with Runtime(event_store=store) as runtime:
        assert runtime.default_tenant == "acme"
        assert runtime.tenant().store is store
        assert isinstance(runtime.backend, SqlBackend)
        runtime.tenant().schema_registry.push(SCHEMA)
        runtime.register(OpenAccount)
        runtime.execute("open_account", {"account_id": "a1", "owner": "Ada"})
        # Another tenant lives in the same database, with positions of its own.
        other = runtime.tenant("globex")
        other.schema_registry.push(SCHEMA)
        assert other.execute("open_account", {"account_id": "a1", "owner": "G"}).position == 1
    assert isinstance(Runtime(event_store=InMemoryEventStore()).backend, MemoryBackend)


def test_services_of_different_tenants_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="different tenants: acme, default"):
        Runtime(event_store=InMemoryEventStore("acme"), default_tenant="default")
    with pytest.raises(ConfigurationError, match="tenant name"):
        Runtime().tenant("")


def test_a_store_of_unknown_kind_needs_a_backend() -> None:
    class Custom(InMemoryEventStore):
        pass

    store: Any = type("Other", (), {"tenant": "default"})()
    with pytest.raises(ConfigurationError, match="pass backend="):
        Runtime(event_store=store)
    assert isinstance(Runtime(event_store=Custom()).backend, MemoryBackend)


def test_a_closed_runtime_refuses_work_and_closing_twice_is_harmless(runtime_url: str) -> None:
    runtime = Runtime.from_url(runtime_url)
    runtime.register(OpenAccount)
    bank_tenant(runtime)
    runtime.close()
    runtime.close()
    with pytest.raises(ConfigurationError, match="closed"):
        runtime.execute("open_account", {"account_id": "a1", "owner": "Ada"})


def test_a_script_service_given_is_used_and_closed_with_the_runtime() -> None:
    service = ScriptService(InMemoryScriptRepository(), QuickJsRunner())
    runtime = Runtime(scripts=service)
    assert runtime.scripts is service
    service.create(name="one", type="embedded", source="return 1")
    assert runtime.scripts.call("one") == 1
    runtime.close()
    with pytest.raises(ScriptExecutionError, match="engine failed"):  # the runner is closed
        service.call("one")


def test_with_a_refresh_interval_own_changes_are_seen_at_once(runtime: Runtime) -> None:
    fast = Runtime(
        backend=runtime.backend,
        event_store=runtime.tenant().store,
        schema_registry=runtime.tenant().schema_registry,
        handler_registry=runtime.tenant().handler_registry,
        refresh_interval=3600,
    )
    tenant = fast.tenant()
    tenant.push_schema(SCHEMA + COUNTED)
    tenant.upload("count", counter_wasm(), "1.0.0")
    assert tenant.execute("count", {"counter_id": "c1"}).outcome == "ok"
    tenant.upload("count", counter_wasm(**CLOSED), "2.0.0")
    assert tenant.execute("count", {"counter_id": "c2"}).code == "closed"
    tenant.delete("count")
    with pytest.raises(UnknownCommandError):
        tenant.execute("count", {"counter_id": "c3"})


def test_with_a_refresh_interval_other_processes_changes_come_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The interval runs on a clock the test moves: a busy machine neither ends it early nor late.
    now = [0.0]
    monkeypatch.setattr(Recent.__init__, "__defaults__", (lambda: now[0],))
    url = f"sqlite:///{tmp_path}/runtime.db"
    with Runtime.from_url(url) as one, Runtime.from_url(url, refresh_interval=0.2) as two:
        bank_tenant(one).upload("count", counter_wasm(), "1.0.0")
        assert two.execute("count", {"counter_id": "c1"}).outcome == "ok"
        one.tenant().upload("count", counter_wasm(**CLOSED), "2.0.0")
        now[0] += 0.19
        assert two.execute("count", {"counter_id": "c2"}).outcome == "ok"  # still 1.0.0
        now[0] += 0.02
        assert two.execute("count", {"counter_id": "c3"}).code == "closed"


def test_recent_values_expire_and_unknown_keys_are_not_kept() -> None:
    now = [0.0]
    recent: Recent[str, int] = Recent(10, clock=lambda: now[0])
    looked: list[str] = []

    def look_up(key: str, value: int | None) -> int | None:
        looked.append(key)
        return value

    assert recent.get("a", lambda: look_up("a", 1)) == 1
    assert recent.get("a", lambda: look_up("a", 2)) == 1
    assert recent.get("x", lambda: look_up("x", None)) is None
    assert recent.get("x", lambda: look_up("x", None)) is None
    now[0] = 10.0
    assert recent.get("a", lambda: look_up("a", 3)) == 3
    recent.forget("a")
    assert recent.get("a", lambda: look_up("a", 4)) == 4
    assert looked == ["a", "x", "x", "a", "a"]
    always: Recent[str, int] = Recent(0)
    assert always.get("k", lambda: 5) == 5
