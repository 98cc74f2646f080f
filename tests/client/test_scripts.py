"""The clients' script methods against the live server (uvicorn): sync and async alike, their
errors, and values checked locally before anything is sent."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from esruntime.client import (
    AsyncClient,
    BadRequestError,
    Client,
    ForbiddenError,
    NotFoundError,
    RequestConflictError,
    ScriptExecution,
)
from esruntime.errors import InvalidCommandInput
from tests.client.servers import Bank

SOURCE = "sdk.log.info('ran', {n: context.input.n}); return context.input.n * 2;"


def test_every_script_method_of_the_sync_client(client: Client) -> None:
    script = client.create_script("doubler", "oneoff", SOURCE, description="doubles n")
    assert (script.version, script.source, script.public) == (1, SOURCE, False)
    assert client.get_script(script.id) == script

    page = client.list_scripts(type="oneoff", search="DOUB")
    assert [s.name for s in page.scripts] == ["doubler"]
    assert page.scripts[0].source is None
    assert (page.total, page.page, page.pages) == (1, 1, 1)
    assert client.list_scripts(status="active").total == 0

    execution = client.execute_script(script.id, {"n": 21})
    assert isinstance(execution, ScriptExecution)
    assert (execution.status, execution.output, execution.error) == ("completed", 42, None)
    assert execution.trigger["type"] == "api"
    assert [entry["message"] for entry in execution.logs] == ["ran"]
    assert execution.completed_at is not None

    changed = client.update_script(
        script.id, source="return -1;", limits={"max_output_bytes": 2048}
    )
    assert (changed.version, changed.limits["max_output_bytes"]) == (2, 2048)
    versions = client.list_script_versions(script.id)
    assert [v.version for v in versions] == [1, 2]
    assert client.get_script_version(script.id, 1).source == SOURCE
    restored = client.rollback_script(script.id, 1)
    assert (restored.version, restored.source) == (3, SOURCE)

    listed = client.list_executions(script.id, status="completed")
    assert [e.id for e in listed.executions] == [execution.id]
    assert client.get_execution(script.id, execution.id) == execution

    client.delete_script(script.id)
    with pytest.raises(NotFoundError):
        client.get_script(script.id)


def test_a_failed_run_is_a_value_not_an_exception(client: Client) -> None:
    script = client.create_script("thrower", "oneoff", "throw new Error('nope');")
    execution = client.execute_script(script.id)
    assert execution.status == "failed"
    assert execution.error is not None
    assert (execution.error.name, execution.error.message) == ("Error", "nope")


def test_refusals_raise_with_their_fields(client: Client, bank: Bank) -> None:
    with pytest.raises(BadRequestError) as invalid:
        client.create_script("x", "weekly", "")
    assert set(invalid.value.fields) == {"name", "type", "source"}
    client.create_script("taken", "oneoff", "1")
    with pytest.raises(RequestConflictError) as conflict:
        client.create_script("taken", "oneoff", "1")
    assert conflict.value.fields == {"name": "A script named 'taken' already exists"}
    with pytest.raises(NotFoundError):
        client.execute_script("no-such-id")
    reader = Client(bank.url, api_key=bank.key_with("scripts.read"))
    with reader, pytest.raises(ForbiddenError):
        reader.create_script("denied", "oneoff", "1")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.get_script(""), "script id"),
        (lambda c: c.execute_script("x", [1, 2]), "JSON object"),
        (lambda c: c.execute_script("x", {"bad": float("nan")}), "JSON"),
        (lambda c: c.list_scripts(page=0), "page"),
        (lambda c: c.list_scripts(per_page="5"), "per_page"),
        (lambda c: c.list_scripts(type=3), "type"),
        (lambda c: c.list_executions("x", limit=0), "limit"),
        (lambda c: c.rollback_script("x", 0), "version"),
        (lambda c: c.get_script_version("x", True), "version"),
        (lambda c: c.create_script("abc", "oneoff", "\ud800"), "JSON"),
    ],
)
def test_values_that_cannot_be_sent_are_refused_locally(
    client: Client, call: object, message: str
) -> None:
    with pytest.raises(InvalidCommandInput, match=message):
        call(client)  # type: ignore[operator]


def test_ids_stay_one_path_segment(client: Client) -> None:
    script = client.create_script("segment", "oneoff", "return 1;")
    for hostile in ("a?b=c", "%2e%2e", "#x", " "):
        with pytest.raises(NotFoundError):
            client.get_script(hostile)
    for hostile in ("../scripts", f"{script.id}/versions", "..", "."):
        with pytest.raises(InvalidCommandInput, match="has no '/'"):
            client.get_script(hostile)
        with pytest.raises(InvalidCommandInput):
            client.get_execution(script.id, hostile)


def test_every_script_method_of_the_async_client(bank: Bank) -> None:
    async def story() -> None:
        async with AsyncClient(bank.url, api_key=bank.key) as client:
            script = await client.create_script(
                "async hook",
                "http",
                "const r = context.trigger.httpRequest;\n"
                "return {status: 200, body: {n: r ? r.query.n : null}};",
                status="active",
                http_path="/async",
                http_methods=["GET"],
            )
            assert (await client.get_script(script.id)).http_path == "/async"
            assert (await client.list_scripts(type="http")).total == 1
            updated = await client.update_script(script.id, description="answers n")
            assert updated.description == "answers n"
            ran = await client.execute_script(script.id)
            assert ran.status == "completed"
            assert (await client.list_script_versions(script.id))[0].version == 1
            assert (await client.get_script_version(script.id, 1)).source == script.source
            assert (await client.rollback_script(script.id, 1)).version == 2
            page = await client.list_executions(script.id)
            assert [e.id for e in page.executions] == [ran.id]
            assert (await client.get_execution(script.id, ran.id)).id == ran.id
            async with httpx.AsyncClient(base_url=bank.server.origin) as http:
                hooked = await http.get(
                    "/hooks/async?n=5", headers={"Authorization": f"Bearer {bank.key}"}
                )
            assert hooked.json() == {"n": "5"}
            await client.delete_script(script.id)
            with pytest.raises(NotFoundError):
                await client.get_script(script.id)

    asyncio.run(story())


def test_a_scheduled_scripts_next_runs_come_as_aware_datetimes(client: Client, bank: Bank) -> None:
    from datetime import UTC, timedelta

    script = client.create_script(
        "daily report",
        "scheduled",
        "return 1;",
        status="active",
        cron_expression="30 6 * * *",
        timezone="America/New_York",
    )
    runs = client.get_script(script.id).next_runs
    assert len(runs) == 5
    assert all(run.tzinfo is not None and run.utcoffset() == timedelta(0) for run in runs)
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert all(timedelta(hours=23) <= gap <= timedelta(hours=25) for gap in gaps)  # DST: 23, 25
    assert {(run.astimezone(UTC).minute) for run in runs} == {30}
    assert client.list_scripts(type="scheduled").scripts[0].next_runs == ()
    paused = client.update_script(script.id, status="paused")
    assert paused.next_runs == ()

    async def read() -> tuple[object, ...]:
        async with AsyncClient(bank.url, api_key=bank.key) as asynchronous:
            return (await asynchronous.get_script(script.id)).next_runs

    assert asyncio.run(read()) == ()
