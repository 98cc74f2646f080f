"""Scripts end to end: JavaScript on the real engine (quickjs-ng), through the service, with the
SDK host, a real event store and every repository backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from esruntime.backends.memory import InMemoryEventStore
from esruntime.errors import ScriptExecutionError, ScriptTimeoutError
from esruntime.protocols import ScriptRepository
from esruntime.schema import parse_schema
from esruntime.schema.model import Schema
from esruntime.scripts.engines import QuickJsRunner
from esruntime.scripts.models import Script, Trigger
from esruntime.scripts.sdk.logs import LogBounds
from esruntime.scripts.service import ScriptService

SCHEMA = parse_schema("event OpenedAccount { @account_id: String\n initial_balance: Float }")


@pytest.fixture(scope="module")
def engine() -> Iterator[QuickJsRunner]:
    runner = QuickJsRunner()
    yield runner
    runner.close()


class Tenants:
    """Each tenant's event store; tenant ``banking`` has a schema."""

    def __init__(self) -> None:
        self.stores: dict[str, InMemoryEventStore] = {}

    def store(self, tenant: str) -> InMemoryEventStore:
        return self.stores.setdefault(tenant, InMemoryEventStore(tenant))

    def schema(self, tenant: str) -> Schema | None:
        return SCHEMA if tenant == "banking" else None


@pytest.fixture
def tenants() -> Tenants:
    return Tenants()


class Unclosed:
    """The module's engine, which the service must not close after each test."""

    def __init__(self, runner: QuickJsRunner) -> None:
        self.run = runner.run

    def close(self) -> None:
        pass


@pytest.fixture
def js(repository: ScriptRepository, engine: QuickJsRunner, tenants: Tenants) -> ScriptService:
    return ScriptService(
        repository,
        Unclosed(engine),
        event_store=tenants.store,
        schema=tenants.schema,
        default_tenant="acme",
        log_bounds=LogBounds(max_lines=50),
    )


def create(service: ScriptService, source: str, **fields: Any) -> Script:
    values: dict[str, Any] = {"name": "script under test", "type": "embedded"} | fields
    return service.create(source=source, **values)


def test_a_script_runs_and_its_execution_is_recorded(js: ScriptService) -> None:
    script = create(
        js,
        """
        const { items } = context.input;
        sdk.log.info("pricing", { count: items.length });
        const total = items.reduce((sum, item) => sum + item.price * item.quantity, 0);
        return { total, discount: total > 100 ? 0.1 : 0 };
        """,
    )
    items = [{"price": 30, "quantity": 2}, {"price": 50, "quantity": 1}]
    execution = js.execute(script.id, {"items": items}, user_id=7)
    assert execution.status == "completed"
    assert execution.output == {"total": 110, "discount": 0.1}
    assert [(e.level, e.message, e.metadata) for e in execution.logs] == [
        ("info", "pricing", {"count": 2})
    ]
    assert execution.metrics.memory_bytes
    assert execution.metrics.log_lines == 1
    assert js.execution(execution.id) == execution
    assert js.call(script.name, {"items": items[:1]}) == {"total": 60, "discount": 0}


def test_the_context_is_frozen_and_exactly_the_specs(js: ScriptService) -> None:
    script = create(js, "return { context, frozen: Object.isFrozen(context) };")
    execution = js.execute(
        script.id,
        {"n": 1},
        trigger=Trigger.http({"method": "POST", "path": "/x", "headers": {}, "query": {}}),
        user_id=42,
        organization_id="org-1",
    )
    assert execution.output == {
        "frozen": True,
        "context": {
            "tenantId": "acme",
            "userId": 42,
            "organizationId": "org-1",
            "scriptId": script.id,
            "executionId": execution.id,
            "input": {"n": 1},
            "trigger": {
                "type": "http",
                "eventType": None,
                "eventPayload": None,
                "httpRequest": {"method": "POST", "path": "/x", "headers": {}, "query": {}},
                "cronExpression": None,
            },
        },
    }


def test_a_thrown_error_is_recorded_with_its_line_and_column(js: ScriptService) -> None:
    script = create(js, "const order = null;\n\nreturn order.total;")
    execution = js.execute(script.id)
    assert execution.status == "failed"
    assert execution.error is not None
    assert execution.error.name == "TypeError"
    assert (execution.error.line, execution.error.column) == (3, 8)
    assert execution.error.stack is not None
    assert "script:3:8" in execution.error.stack
    with pytest.raises(ScriptExecutionError) as caught:
        js.call(script.name)
    assert str(caught.value).startswith("Script 'script under test' failed: TypeError: ")
    assert str(caught.value).endswith("(line 3, column 8)")
    assert (caught.value.line, caught.value.column) == (3, 8)


def test_a_custom_error_keeps_its_message(js: ScriptService) -> None:
    script = create(
        js, 'if (!context.input.amount) {\n  throw new RangeError("amount is required");\n}'
    )
    with pytest.raises(ScriptExecutionError) as caught:
        js.call(script.name, {})
    assert caught.value.name == "RangeError"
    assert caught.value.script_message == "amount is required"
    assert caught.value.line == 2


def test_a_syntax_error_fails_the_run(js: ScriptService) -> None:
    execution = js.execute(create(js, "return {;").id)
    assert execution.status == "failed"
    assert execution.error is not None
    assert execution.error.name == "SyntaxError"


def test_a_script_out_of_time_is_a_timeout(js: ScriptService) -> None:
    script = create(js, "while (true) {}", limits={"max_execution_time_ms": 1000})
    execution = js.execute(script.id)
    assert execution.status == "timeout"
    with pytest.raises(ScriptTimeoutError):
        js.call(script.name)


def test_a_script_out_of_memory_fails(js: ScriptService) -> None:
    script = create(
        js,
        "const chunks = [];\nwhile (true) { chunks.push('x'.repeat(65536) + chunks.length); }",
        limits={"max_memory_bytes": 2 * 2**20},
    )
    execution = js.execute(script.id)
    assert execution.status == "failed"
    assert execution.error is not None


def test_output_beyond_the_limit_fails(js: ScriptService) -> None:
    script = create(js, "return 'x'.repeat(context.input.n);", limits={"max_output_bytes": 1024})
    assert js.execute(script.id, {"n": 100}).status == "completed"
    execution = js.execute(script.id, {"n": 5000})
    assert execution.status == "failed"
    assert execution.output is None


def test_published_events_reach_the_store(js: ScriptService, tenants: Tenants) -> None:
    script = create(
        js,
        """
        const ok = await events.publish("order.updated", { order_id: context.input.id });
        return ok;
        """,
    )
    execution = js.execute(script.id, {"id": "o-7"}, user_id=3)
    assert execution.output is True
    assert execution.metrics.events_published == 1
    (event,) = tenants.store("acme").read()
    assert (event.type, event.data) == ("order.updated", {"order_id": "o-7"})
    assert dict(event.event.metadata) == {
        "tenant_id": "acme",
        "user_id": 3,
        "script_id": script.id,
        "execution_id": execution.id,
    }


def test_declared_events_are_validated_and_tagged(js: ScriptService, tenants: Tenants) -> None:
    script = create(
        js,
        """
        await events.publish("OpenedAccount", { account_id: "a-1", initial_balance: 10 });
        try {
          await events.publish("OpenedAccount", { account_id: "a-2" });
        } catch (error) {
          return error.message;
        }
        """,
        tenant="banking",
    )
    message = js.execute(script.id, tenant="banking").output
    assert message == (
        "events.publish: invalid OpenedAccount payload: $.initial_balance: "
        "required field is missing"
    )
    (event,) = tenants.store("banking").read()
    assert event.tags == ("account_id:a-1",)


def test_sdk_errors_reach_the_script_as_errors(js: ScriptService) -> None:
    script = create(
        js,
        """
        const messages = [];
        for (const attempt of [
          () => events.publish("Not Conventional", {}),
          () => sdk.db.query("SELECT 1", []),
          () => sdk.http.get("https://example.com/"),
          () => sdk.cache.set("", 1),
        ]) {
          try { await attempt(); } catch (error) { messages.push(error.message); }
        }
        return messages;
        """,
    )
    assert js.execute(script.id).output == [
        "events.publish: event type 'Not Conventional' is not declared in the tenant's schema "
        "and does not follow module.entity.action (lowercase words joined by dots, "
        "e.g. order.updated)",
        "Database is not configured",
        "HTTP is not configured",
        "cache.set: the key must be a non-empty string",
    ]


def test_the_cache_persists_across_runs_and_stays_in_its_tenant(js: ScriptService) -> None:
    source = "return await sdk.cache.increment('runs');"
    mine = create(js, source)
    theirs = create(js, source, tenant="globex")
    assert [js.call(mine.name) for _ in range(3)] == [1, 2, 3]
    assert js.call(theirs.name, tenant="globex") == 1


def test_concurrent_sdk_calls_with_promise_all(js: ScriptService) -> None:
    script = create(
        js,
        """
        await Promise.all([1, 2, 3, 4, 5].map((n) => sdk.cache.set("k" + n, n * n)));
        return await Promise.all([1, 2, 3, 4, 5].map((n) => sdk.cache.get("k" + n)));
        """,
    )
    execution = js.execute(script.id)
    assert execution.output == [1, 4, 9, 16, 25]
    assert execution.metrics.cache_calls == 10


def test_the_rate_limit_is_an_error_the_script_can_catch(js: ScriptService) -> None:
    script = create(
        js,
        """
        const results = [];
        for (let i = 0; i < 4; i++) {
          try { results.push(await sdk.cache.increment("n")); }
          catch (error) { results.push(error.message); }
        }
        return results;
        """,
        limits={"max_api_calls_per_minute": 2},
    )
    assert js.call(script.name) == [1, 2, "Rate limit exceeded", "Rate limit exceeded"]


def test_a_log_flood_is_truncated(js: ScriptService) -> None:
    script = create(
        js,
        """
        for (let i = 0; i < 10000; i++) {
          sdk.log.debug("line " + i);
          if (i % 10 === 9) await sdk.cache.get("pace");
        }
        return 1;
        """,
        limits={"max_api_calls_per_minute": 10_000},
    )
    execution = js.execute(script.id)
    assert execution.status == "completed"
    assert len(execution.logs) == 51
    assert execution.logs[0].message == "line 0"
    assert execution.logs[-1].message.startswith("[log truncated: 9950 more line(s) dropped")
    assert execution.metrics.log_lines == 10_000
    assert js.execution(execution.id).logs == execution.logs


def test_a_log_flood_without_awaits_is_truncated(js: ScriptService) -> None:
    script = create(js, "for (let i = 0; i < 10000; i++) sdk.log.debug('line ' + i);\nreturn 1;")
    execution = js.execute(script.id)
    assert execution.status == "completed"
    assert len(execution.logs) == 51
    assert [e.message for e in execution.logs[:2]] == ["line 0", "line 1"]
    assert execution.logs[-1].message.startswith("[log truncated: 9950 more line(s) dropped")


def test_a_script_logging_200000_lines_completes_with_the_drop_recorded(js: ScriptService) -> None:
    script = create(js, "for (let i = 0; i < 200000; i++) sdk.log.info('line ' + i);\nreturn 1;")
    execution = js.execute(script.id)
    assert execution.status == "completed", execution.error
    assert execution.output == 1
    assert len(execution.logs) == 51
    assert execution.logs[49].message == "line 49"
    assert execution.logs[-1].message == (
        "[log truncated: 199950 more line(s) dropped; the limit is 50 lines or 262,144 bytes]"
    )
    assert execution.metrics.log_lines == 200_000


@pytest.fixture
def shop(tmp_path: Any) -> Iterator[Any]:
    """The host application's own database: a table of orders, one tenant_id per row."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path}/shop.db")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE orders (tenant_id TEXT NOT NULL, id TEXT NOT NULL, total REAL)"
        )
        conn.exec_driver_sql("INSERT INTO orders VALUES ('globex', 'g-1', 999)")
    yield engine
    engine.dispose()


def test_sdk_db_reaches_the_tenants_rows_only(
    repository: ScriptRepository, engine: QuickJsRunner, shop: Any
) -> None:
    from esruntime.scripts.sdk.db import ScriptDatabase

    service = ScriptService(
        repository,
        Unclosed(engine),
        database=lambda tenant: ScriptDatabase(shop, tenant),
        default_tenant="acme",
    )
    script = create(
        service,
        """
        await sdk.db.transaction(async (tx) => {
          await tx.execute("INSERT INTO orders (id, total) VALUES ($1, $2)", ["a-1", 10]);
          await tx.execute("INSERT INTO orders (id, total) VALUES ($1, $2)", ["a-2", 32]);
        });
        try {
          await sdk.db.transaction(async (tx) => {
            await tx.execute("INSERT INTO orders (id, total) VALUES ($1, $2)", ["a-3", 1]);
            throw new Error("changed my mind");
          });
        } catch (e) {}
        const rows = await sdk.db.query("SELECT id, total FROM orders ORDER BY id", []);
        const one = await sdk.db.queryOne("SELECT SUM(total) AS sum FROM orders", []);
        let refused;
        try { await sdk.db.execute("DROP TABLE orders", []); } catch (e) { refused = e.message; }
        return { rows, sum: one.sum, refused };
        """,
    )
    execution = service.execute(script.id)
    assert execution.status == "completed", execution.error
    assert execution.output["rows"] == [{"id": "a-1", "total": 10}, {"id": "a-2", "total": 32}]
    assert execution.output["sum"] == 42
    assert execution.output["refused"].startswith("Unauthorized operation")
    assert execution.metrics.db_queries == 6
    with shop.connect() as conn:
        stored = conn.exec_driver_sql("SELECT tenant_id, id FROM orders ORDER BY id").all()
    assert [tuple(row) for row in stored] == [("acme", "a-1"), ("acme", "a-2"), ("globex", "g-1")]


def test_the_process_pool_runner_serves_the_same_sdk(
    repository: ScriptRepository, tenants: Tenants
) -> None:
    from esruntime.scripts.engines import ProcessPoolRunner

    service = ScriptService(repository, ProcessPoolRunner(), event_store=tenants.store)
    try:
        script = create(
            service,
            """
            sdk.log.info("in a worker");
            const n = await sdk.cache.increment("n");
            await events.publish("worker.job.done", { n });
            if (context.input.fail) null.x;
            return n;
            """,
        )
        execution = service.execute(script.id, tenant="default")
        assert (execution.status, execution.output) == ("completed", 1)
        assert execution.logs[0].message == "in a worker"
        assert [e.type for e in tenants.store("default").read()] == ["worker.job.done"]
        with pytest.raises(ScriptExecutionError) as caught:
            service.call(script.name, {"fail": True})
        assert caught.value.line == 5  # the source begins with a newline
    finally:
        service.close()
