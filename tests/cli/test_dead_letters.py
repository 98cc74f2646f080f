"""``esruntime scripts dead-letters ...`` against a real server (uvicorn) whose runtime runs the
event triggers, retrying within milliseconds so that dead letters come quickly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime.cli import main
from esruntime.runtime import Runtime
from tests.cli.processes import ENV_NAMES
from tests.web.apps import bank_runtime
from tests.web.letters import TRIGGERS, dead_letters_of, failing_script
from tests.web.test_servers import serve_uvicorn

Outcome = tuple[int, str, str]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Runtime, dict[str, str]]]:
    from esruntime.contrib.fastapi import create_app

    runtime, keys = bank_runtime(f"sqlite:///{tmp_path}/letters.db", **TRIGGERS)
    runtime.start()
    try:
        with serve_uvicorn(create_app(runtime)) as origin:
            yield origin + "/v1", runtime, keys
    finally:
        runtime.close()


@pytest.fixture
def runtime(served: tuple[str, Runtime, dict[str, str]]) -> Runtime:
    return served[1]


@pytest.fixture
def cli(
    served: tuple[str, Runtime, dict[str, str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: Any,
) -> Any:
    """``cli(*args, key=...)`` runs ``esruntime ARGS`` with a key of the acme tenant."""
    url, _, keys = served
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, key: str = "acme") -> Outcome:
        code = main([*args, "--url", url, "--api-key", keys[key]])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_dead_letters_are_listed_shown_retried_and_discarded(cli: Any, runtime: Runtime) -> None:
    script = failing_script(runtime, "acme", 2, name="invoice sync")
    first, second = dead_letters_of(runtime, "acme", 2)

    code, out, err = cli("scripts", "dead-letters", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "SCRIPT", "EVENT_TYPE", "POSITION", "ATTEMPTS", "ERROR"]
    assert [line.split()[0] for line in lines[1:]] == [first.id, second.id]
    assert lines[1].split()[1:5] == [script.id, "order.created", str(first.position), "4"]
    assert "2 of 2 dead letter(s) from 0" in err
    code, out, _ = cli("scripts", "dead-letters", "list", "--script", "invoice sync", "--json")
    page = json.loads(out)
    assert (code, page["total"], page["dead_letters"][0]["id"]) == (0, 2, first.id)
    code, out, _ = cli("scripts", "dead-letters", "list", "--offset", "1", "--limit", "1", "--json")
    assert [x["id"] for x in json.loads(out)["dead_letters"]] == [second.id]

    code, out, _ = cli("scripts", "dead-letters", "show", first.id)
    assert code == 0
    assert f"{first.event_id} (order.created, position {first.position})" in out
    assert "Error: no 0" in out

    code, out, err = cli("scripts", "dead-letters", "retry", first.id)
    assert (code, out) == (1, "")
    assert "failed: Error: no 0; the dead letter stays (5 attempts)" in err
    runtime.scripts.update(script.id, source="return {synced: true};", tenant="acme")
    code, out, err = cli("scripts", "dead-letters", "retry", first.id)
    assert (code, json.loads(out)) == (0, {"synced": True})
    assert "completed; the dead letter is gone" in err

    assert cli("scripts", "dead-letters", "discard", second.id) == (
        0,
        f"Discarded {second.id}\n",
        "",
    )
    code, out, _ = cli("scripts", "dead-letters", "list", "--json")
    assert json.loads(out)["total"] == 0


def test_a_retry_prints_the_whole_outcome_as_json(cli: Any, runtime: Runtime) -> None:
    failing_script(runtime, "acme", 1)
    (letter,) = dead_letters_of(runtime, "acme", 1)
    code, out, _ = cli("scripts", "dead-letters", "retry", letter.id, "--json")
    retried = json.loads(out)
    assert code == 1
    assert retried["execution"]["status"] == "failed"
    assert retried["dead_letter"]["attempts"] == 5


def test_refusals_have_their_exit_codes(cli: Any, runtime: Runtime) -> None:
    failing_script(runtime, "acme", 1)
    (letter,) = dead_letters_of(runtime, "acme", 1)
    assert cli("scripts", "dead-letters", "show", "nope")[0] == 4
    assert cli("scripts", "dead-letters", "discard", "x" * 5000)[0] == 4
    assert cli("scripts", "dead-letters", "retry", "../etc")[0] == 2
    assert cli("scripts", "dead-letters", "list", "--limit", "0")[0] == 2
    assert cli("scripts", "dead-letters", "list", "--limit", "500")[0] == 2
    assert cli("scripts", "dead-letters", "list", "--script", "no such script")[0] == 4
    assert cli("scripts", "dead-letters", "retry", letter.id, key="acme:scripts.read")[0] == 3
    assert cli("scripts", "dead-letters", "discard", letter.id, key="globex")[0] == 4
    with pytest.raises(SystemExit) as usage:
        cli("scripts", "dead-letters", "list", "--offset", "many")
    assert usage.value.code == 2
    assert runtime.scripts.dead_letter(letter.id, tenant="acme").attempts == 4


def test_an_event_runs_execution_names_its_event(cli: Any, runtime: Runtime) -> None:
    script = failing_script(runtime, "acme", 1, name="invoice sync")
    (letter,) = dead_letters_of(runtime, "acme", 1)
    code, out, _ = cli("scripts", "executions", "invoice sync", "--json")
    assert code == 0
    execution = json.loads(out)["executions"][0]
    assert execution["event_id"] == letter.event_id
    code, out, _ = cli("scripts", "executions", script.id, execution["id"])
    assert code == 0
    (trigger,) = [line.split() for line in out.splitlines() if line.startswith("trigger:")]
    assert trigger == ["trigger:", "event", "order.created", letter.event_id]
