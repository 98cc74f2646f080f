"""The script repository contract: one suite that every backend passes (needs pytest).

Subclass :class:`ScriptRepositoryContract` and provide a ``repository`` fixture returning an
empty :class:`~esruntime.protocols.ScriptRepository`.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from attrs import evolve

from esruntime.errors import ScriptConflictError
from esruntime.protocols.scripts import ScriptRepository
from esruntime.scripts.models import (
    Execution,
    ExecutionFailure,
    ExecutionMetrics,
    LogEntry,
    Script,
    ScriptLimits,
    ScriptVersion,
    Trigger,
)

__all__ = ["ScriptRepositoryContract", "make_execution", "make_script"]

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def make_script(tenant: str = "acme", name: str = "nightly report", **fields: Any) -> Script:
    """A valid script value (not stored) with a fresh id."""
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant": tenant,
        "name": name,
        "source": "return 1;",
        "type": "oneoff",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Script(**values)


def first_version(script: Script) -> ScriptVersion:
    return ScriptVersion(script.id, script.version, script.source, script.created_at or NOW)


def make_execution(script: Script, **fields: Any) -> Execution:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant": script.tenant,
        "script_id": script.id,
        "script_version": script.version,
        "status": "pending",
        "input": {},
        "created_at": NOW,
    }
    values.update(fields)
    return Execution(**values)


class ScriptRepositoryContract:
    """Behaviour shared by every script repository."""

    # -- scripts ---------------------------------------------------------------------------------

    def test_a_stored_script_reads_back_equal(self, repository: ScriptRepository) -> None:
        script = make_script(
            type="http",
            description="Ünïcode ✓",
            http_path="/hooks/orders",
            http_methods=("GET", "POST"),
            limits=ScriptLimits(max_execution_time_ms=5000, max_concurrent_runs=2),
            created_by="alice",
        )
        repository.add_script(script, first_version(script))
        assert repository.get_script("acme", script.id) == script
        assert repository.find_script("acme", name=script.name) == script
        assert repository.find_script("acme", http_path="/hooks/orders") == script
        assert repository.versions("acme", script.id) == [first_version(script)]

    def test_a_public_script_and_its_request_limit_read_back(
        self, repository: ScriptRepository
    ) -> None:
        script = make_script(
            type="http",
            http_path="/open",
            http_methods=("POST",),
            public=True,
            limits=ScriptLimits(max_http_requests_per_minute=7),
        )
        repository.add_script(script, first_version(script))
        stored = repository.get_script("acme", script.id)
        assert stored is not None
        assert (stored.public, stored.limits.max_http_requests_per_minute) == (True, 7)
        closed = evolve(stored, public=False)
        assert repository.save_script(closed, expected_version=stored.version)
        assert repository.find_script("acme", http_path="/open") == closed

    def test_every_type_round_trips(self, repository: ScriptRepository) -> None:
        variants = [
            make_script(
                name="cron job", type="scheduled", cron_expression="@daily", timezone="Europe/Paris"
            ),
            make_script(
                name="on event", type="event", event_types=("OpenedAccount", "order.created")
            ),
            make_script(name="hook", type="embedded", status="active"),
        ]
        for script in variants:
            repository.add_script(script, first_version(script))
        for script in variants:
            assert repository.get_script("acme", script.id) == script

    def test_active_scripts_of_a_type_are_found_across_tenants(
        self, repository: ScriptRepository
    ) -> None:
        wanted = [
            make_script("acme", "a", type="event", status="active", event_types=("x.y.z",)),
            make_script("beta", "b", type="event", status="active", event_types=("x.y.z",)),
        ]
        others = [
            make_script("acme", "c", type="event", status="paused", event_types=("x.y.z",)),
            make_script("acme", "d", type="oneoff", status="active"),
        ]
        for script in wanted + others:
            repository.add_script(script, first_version(script))
        found = repository.active_scripts("event")
        assert sorted(found, key=lambda s: s.name) == wanted
        assert repository.active_scripts("scheduled") == []

    def test_a_taken_name_is_a_conflict(self, repository: ScriptRepository) -> None:
        first = make_script()
        repository.add_script(first, first_version(first))
        second = make_script()
        with pytest.raises(ScriptConflictError) as caught:
            repository.add_script(second, first_version(second))
        assert caught.value.field == "name"
        assert repository.get_script("acme", second.id) is None
        assert repository.versions("acme", second.id) == []

    def test_a_taken_http_path_is_a_conflict(self, repository: ScriptRepository) -> None:
        first = make_script(name="first", type="http", http_path="/x", http_methods=("GET",))
        repository.add_script(first, first_version(first))
        second = make_script(name="second", type="http", http_path="/x", http_methods=("POST",))
        with pytest.raises(ScriptConflictError) as caught:
            repository.add_script(second, first_version(second))
        assert caught.value.field == "http_path"

    def test_many_scripts_without_a_path_coexist(self, repository: ScriptRepository) -> None:
        for n in range(3):
            script = make_script(name=f"script {n}")
            repository.add_script(script, first_version(script))
        assert repository.list_scripts("acme")[1] == 3

    def test_names_and_paths_are_unique_per_tenant_only(self, repository: ScriptRepository) -> None:
        mine = make_script("acme", type="http", http_path="/x", http_methods=("GET",))
        theirs = make_script("globex", type="http", http_path="/x", http_methods=("GET",))
        repository.add_script(mine, first_version(mine))
        repository.add_script(theirs, first_version(theirs))
        assert repository.get_script("acme", mine.id) == mine
        assert repository.get_script("globex", theirs.id) == theirs

    def test_tenants_do_not_see_each_other(self, repository: ScriptRepository) -> None:
        script = make_script("acme")
        repository.add_script(script, first_version(script))
        execution = make_execution(script)
        repository.add_execution(execution)
        assert repository.get_script("globex", script.id) is None
        assert repository.find_script("globex", name=script.name) is None
        assert repository.list_scripts("globex") == ([], 0)
        assert repository.versions("globex", script.id) == []
        assert repository.get_version("globex", script.id, 1) is None
        assert repository.get_execution("globex", execution.id) is None
        assert repository.list_executions("globex", script.id) == ([], 0)
        assert repository.delete_script("globex", script.id) is False
        assert repository.get_script("acme", script.id) == script

    def test_saving_with_a_new_version_keeps_both(self, repository: ScriptRepository) -> None:
        script = make_script()
        repository.add_script(script, first_version(script))
        changed = evolve(script, source="return 2;", version=2, updated_by="bob")
        second = ScriptVersion(script.id, 2, "return 2;", NOW, "bob")
        assert repository.save_script(changed, expected_version=1, new_version=second)
        assert repository.get_script("acme", script.id) == changed
        assert [v.version for v in repository.versions("acme", script.id)] == [1, 2]
        assert repository.get_version("acme", script.id, 2) == second

    def test_a_stale_save_changes_nothing(self, repository: ScriptRepository) -> None:
        script = make_script()
        repository.add_script(script, first_version(script))
        changed = evolve(script, source="return 2;", version=2)
        second = ScriptVersion(script.id, 2, "return 2;", NOW)
        assert repository.save_script(changed, expected_version=1, new_version=second)
        stale = evolve(script, source="return 3;", version=2)
        other = ScriptVersion(script.id, 2, "return 3;", NOW)
        assert not repository.save_script(stale, expected_version=1, new_version=other)
        assert repository.get_script("acme", script.id) == changed
        assert repository.get_version("acme", script.id, 2) == second

    def test_saving_a_missing_script_is_refused(self, repository: ScriptRepository) -> None:
        assert not repository.save_script(make_script(), expected_version=1)

    def test_renaming_onto_a_taken_name_is_a_conflict(self, repository: ScriptRepository) -> None:
        first, second = make_script(name="first"), make_script(name="second")
        for script in (first, second):
            repository.add_script(script, first_version(script))
        with pytest.raises(ScriptConflictError):
            repository.save_script(evolve(second, name="first"), expected_version=1)
        assert repository.get_script("acme", second.id) == second

    def test_scripts_of_a_type_come_from_every_tenant(self, repository: ScriptRepository) -> None:
        made = [
            make_script("acme", "a", type="scheduled", cron_expression="@daily"),
            make_script(
                "globex", "b", type="scheduled", cron_expression="@hourly", status="active"
            ),
            make_script("acme", "c", type="oneoff"),
        ]
        for script in made:
            repository.add_script(script, first_version(script))
        found = sorted(repository.scripts_of_type("scheduled"), key=lambda s: s.name)
        assert found == made[:2]
        assert repository.scripts_of_type("http") == []

    def test_listing_filters_searches_and_pages(self, repository: ScriptRepository) -> None:
        specs = [
            ("alpha sync", "oneoff", "active", "Copies orders"),
            ("beta report", "scheduled", "draft", "Weekly ORDER totals"),
            ("gamma hook", "embedded", "active", ""),
            ("delta_cleanup", "oneoff", "paused", "100% safe"),
        ]
        for name, kind, status, description in specs:
            extra = {"cron_expression": "@weekly"} if kind == "scheduled" else {}
            script = make_script(
                name=name, type=kind, status=status, description=description, **extra
            )
            repository.add_script(script, first_version(script))

        def names(result: tuple[list[Script], int]) -> list[str]:
            return [script.name for script in result[0]]

        assert names(repository.list_scripts("acme")) == [
            "alpha sync",
            "beta report",
            "delta_cleanup",
            "gamma hook",
        ]
        assert names(repository.list_scripts("acme", type="oneoff")) == [
            "alpha sync",
            "delta_cleanup",
        ]
        assert names(repository.list_scripts("acme", status="active")) == [
            "alpha sync",
            "gamma hook",
        ]
        assert names(repository.list_scripts("acme", search="order")) == [
            "alpha sync",
            "beta report",
        ]
        assert names(repository.list_scripts("acme", search="GAMMA")) == ["gamma hook"]
        # LIKE wildcards in a search are literal characters
        assert names(repository.list_scripts("acme", search="%")) == ["delta_cleanup"]
        assert names(repository.list_scripts("acme", search="a_c")) == ["delta_cleanup"]
        assert repository.list_scripts("acme", search="_")[1] == 1
        page = repository.list_scripts("acme", offset=1, limit=2)
        assert names(page) == ["beta report", "delta_cleanup"]
        assert page[1] == 4

    def test_listing_by_last_change_puts_the_latest_first(
        self, repository: ScriptRepository
    ) -> None:
        for minutes, name in ((5, "beta"), (30, "alpha"), (5, "aardvark"), (1, "gamma")):
            script = make_script(name=name, updated_at=NOW + timedelta(minutes=minutes))
            repository.add_script(script, first_version(script))
        found, total = repository.list_scripts("acme", order="updated", offset=1, limit=2)
        assert [script.name for script in found] == ["aardvark", "beta"]  # ties by name
        assert total == 4
        latest = repository.list_scripts("acme", order="updated", type="oneoff", limit=1)[0]
        assert [script.name for script in latest] == ["alpha"]

    def test_hostile_lookups_and_searches_find_nothing_and_raise_nothing(
        self, repository: ScriptRepository
    ) -> None:
        script = make_script(name="it's \\ 50% of_it", description="quotes ' and \" here")
        repository.add_script(script, first_version(script))
        for hostile in ("x" * 10_000, "' OR '1'='1", "\\", "ÄÖÜ 🦀", "%", "_"):
            assert repository.get_script("acme", hostile) is None
            assert repository.get_execution("acme", hostile) is None
            assert repository.versions("acme", hostile) == []
            assert repository.get_version("acme", hostile, 1) is None
            assert repository.delete_script("acme", hostile) is False
            assert repository.find_script("acme", name=hostile) is None
            assert repository.find_script("acme", http_path=hostile) is None
            assert repository.list_executions("acme", hostile) == ([], 0)
        for literal in ("it's", "\\", "50%", "f_i", "' and \""):
            assert repository.list_scripts("acme", search=literal)[1] == 1, literal
        for absent in ("' OR '1'='1", "x" * 10_000, "%%", "\\%"):
            assert repository.list_scripts("acme", search=absent) == ([], 0), absent
        assert repository.find_script("acme") is None  # neither a name nor a path
        assert repository.list_scripts("acme", offset=10**6) == ([], 1)

    def test_deleting_forgets_versions_and_executions(self, repository: ScriptRepository) -> None:
        script = make_script()
        repository.add_script(script, first_version(script))
        execution = make_execution(script)
        repository.add_execution(execution)
        assert repository.delete_script("acme", script.id) is True
        assert repository.get_script("acme", script.id) is None
        assert repository.versions("acme", script.id) == []
        assert repository.get_execution("acme", execution.id) is None
        assert repository.delete_script("acme", script.id) is False
        again = make_script()  # the name is free again
        repository.add_script(again, first_version(again))

    def test_concurrent_creates_of_one_name_let_exactly_one_win(
        self, repository: ScriptRepository
    ) -> None:
        outcomes: list[str] = []
        barrier = threading.Barrier(8)

        def create() -> None:
            script = make_script(name="contested")
            barrier.wait()
            try:
                repository.add_script(script, first_version(script))
                outcomes.append("created")
            except ScriptConflictError:
                outcomes.append("conflict")

        threads = [threading.Thread(target=create) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["conflict"] * 7 + ["created"]
        assert repository.list_scripts("acme")[1] == 1

    # -- executions ------------------------------------------------------------------------------

    def test_an_execution_reads_back_equal(self, repository: ScriptRepository) -> None:
        script = make_script()
        repository.add_script(script, first_version(script))
        execution = make_execution(
            script,
            status="failed",
            trigger=Trigger.http({"method": "POST", "path": "/x", "headers": {}, "query": {}}),
            input={"n": [1, 2.5, None, "é"]},
            output=None,
            error=ExecutionFailure("TypeError", "x is undefined", 3, 7, "at main (script:3:7)"),
            logs=(
                LogEntry("info", "hello", {"k": 1}, NOW),
                LogEntry("warn", "careful", None, NOW),
            ),
            metrics=ExecutionMetrics(12.5, 1024, 2, 3, 4, 1, 2),
            user_id=42,
            started_at=NOW,
            completed_at=NOW + timedelta(seconds=1),
        )
        repository.add_execution(execution)
        assert repository.get_execution("acme", execution.id) == execution
        completed = evolve(execution, status="completed", output={"ok": True}, error=None)
        repository.save_execution(completed)
        assert repository.get_execution("acme", execution.id) == completed

    def test_executions_list_newest_first(self, repository: ScriptRepository) -> None:
        script = make_script()
        repository.add_script(script, first_version(script))
        made = []
        for n in range(5):
            status = "completed" if n % 2 else "failed"
            execution = make_execution(script, status=status, created_at=NOW + timedelta(seconds=n))
            repository.add_execution(execution)
            made.append(execution)
        listed, total = repository.list_executions("acme", script.id)
        assert listed == made[::-1]
        assert total == 5
        page, total = repository.list_executions("acme", script.id, offset=1, limit=2)
        assert page == [made[3], made[2]]
        assert total == 5
        failed, total = repository.list_executions("acme", script.id, status="failed")
        assert failed == [made[4], made[2], made[0]]
        assert total == 3

    def test_an_event_run_is_found_once_it_completed(self, repository: ScriptRepository) -> None:
        script, other = make_script(), make_script(name="other")
        for each in (script, other):
            repository.add_script(each, first_version(each))
        trigger = Trigger.event("order.created", {"n": 1}, "event-1")
        running = make_execution(script, status="running", trigger=trigger, started_at=NOW)
        repository.add_execution(running)
        assert repository.completed_event_execution("acme", script.id, "event-1") is None
        failed = make_execution(script, status="failed", trigger=trigger)
        repository.add_execution(failed)
        assert repository.completed_event_execution("acme", script.id, "event-1") is None
        done = evolve(running, status="completed", output=1, completed_at=NOW)
        repository.save_execution(done)
        found = repository.completed_event_execution("acme", script.id, "event-1")
        assert found == done
        assert found.trigger.event_id == "event-1"
        # Another event, another script, another tenant: nothing.
        assert repository.completed_event_execution("acme", script.id, "event-2") is None
        assert repository.completed_event_execution("acme", other.id, "event-1") is None
        assert repository.completed_event_execution("globex", script.id, "event-1") is None
        assert repository.delete_script("acme", script.id)
        assert repository.completed_event_execution("acme", script.id, "event-1") is None

    def test_starting_runs_stops_at_the_limit(self, repository: ScriptRepository) -> None:
        script = make_script()
        repository.add_script(script, first_version(script))
        stale_before = NOW - timedelta(minutes=5)
        started = []
        for _ in range(3):
            execution = make_execution(script, status="running", started_at=NOW)
            started.append(
                repository.start_execution(execution, max_running=2, stale_before=stale_before)
            )
        assert started == [True, True, False]
        running, _ = repository.list_executions("acme", script.id, status="running")
        assert len(running) == 2
        repository.save_execution(evolve(running[0], status="completed"))
        execution = make_execution(script, status="running", started_at=NOW)
        assert repository.start_execution(execution, max_running=2, stale_before=stale_before)

    def test_stale_runs_do_not_count(self, repository: ScriptRepository) -> None:
        script = make_script()
        repository.add_script(script, first_version(script))
        crashed = make_execution(script, status="running", started_at=NOW - timedelta(hours=1))
        repository.add_execution(crashed)
        execution = make_execution(script, status="running", started_at=NOW)
        assert repository.start_execution(
            execution, max_running=1, stale_before=NOW - timedelta(minutes=5)
        )

    def test_starting_a_pending_execution_updates_it(self, repository: ScriptRepository) -> None:
        script = make_script()
        repository.add_script(script, first_version(script))
        pending = make_execution(script)
        repository.add_execution(pending)
        running = evolve(pending, status="running", started_at=NOW)
        assert repository.start_execution(running, max_running=1, stale_before=NOW)
        assert repository.get_execution("acme", pending.id) == running
        assert repository.list_executions("acme", script.id)[1] == 1

    def test_concurrent_starts_never_exceed_the_limit(self, repository: ScriptRepository) -> None:
        script = make_script()
        repository.add_script(script, first_version(script))
        results: list[bool] = []
        barrier = threading.Barrier(8)

        def start() -> None:
            execution = make_execution(script, status="running", started_at=NOW)
            barrier.wait()
            results.append(
                repository.start_execution(
                    execution, max_running=3, stale_before=NOW - timedelta(minutes=1)
                )
            )

        threads = [threading.Thread(target=start) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 5 + [True] * 3
        assert repository.list_executions("acme", script.id, status="running")[1] == 3
