"""The committed example modules are the ones their sources build.

Both toolchains are deterministic: with the pinned versions (zig ``REFERENCE_ZIG``, the
``assemblyscript`` of package-lock.json) a rebuild gives the same bytes. Any other compiler must
still give the same manifests and the same decisions on a story through every command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.handlers import WasmModule, load_wasm_handler
from tests.guests.apps import COMMANDS, EXAMPLES, module_path, schema
from tests.guests.toolchains import build_assemblyscript, build_c, c_builder

STORIES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "bank": [
        ("open_account", {"account_id": "a", "owner": "Ann", "currency": "EUR"}),
        ("open_account", {"account_id": "b", "owner": "Bo", "currency": "EUR"}),
        ("open_account", {"account_id": "a", "owner": "Ann", "currency": "GBP"}),
        ("deposit", {"account_id": "a", "amount": 10.25}),
        ("withdraw", {"account_id": "a", "amount": 0.25}),
        ("withdraw", {"account_id": "a", "amount": 1000}),
        ("transfer_funds", {"source_account": "a", "dest_account": "b", "amount": 2.5}),
        ("transfer_funds", {"source_account": "a", "dest_account": "z", "amount": 1}),
        ("deposit", {"account_id": "a", "amount": "1"}),
    ],
    "kanban": [
        ("create_task", {"task_id": "t", "title": "Plan"}),
        ("rename_task", {"task_id": "t", "title": "Plan ✓"}),
        ("change_task_status", {"task_id": "t", "status": "DONE"}),
        ("change_task_status", {"task_id": "t", "status": "DONE"}),
        ("delete_task", {"task_id": "t"}),
        ("rename_task", {"task_id": "t", "title": "Again"}),
        ("delete_task", {"task_id": "u"}),
    ],
}


def story(app: str, modules: list[Path]) -> list[tuple[Any, ...]]:
    """What every step of the app's story did: outcome, code, message, events."""
    store = InMemoryEventStore()
    executor = CommandExecutor(store, schema=lambda: schema(app))
    for path in modules:
        executor.register_factory(*load_wasm_handler(path.read_bytes()))
    steps = []
    for command, command_input in STORIES[app]:
        result = executor.execute(command, command_input)
        events = [(e.type, e.data) for e in store.read().events if e.id in result.event_ids]
        steps.append((command, result.outcome, result.code, result.message, events))
    return steps


def assert_same_handlers(app: str, language: str, rebuilt: list[Path], same_bytes: bool) -> None:
    committed = [module_path(app, language, command) for command in COMMANDS[app]]
    if same_bytes:
        assert [p.read_bytes() for p in rebuilt] == [p.read_bytes() for p in committed]
    for new, old in zip(rebuilt, committed, strict=True):
        manifests = [WasmModule.load(p.read_bytes()).manifest for p in (new, old)]
        assert manifests[0] == manifests[1]
    assert story(app, rebuilt) == story(app, committed)


@pytest.mark.parametrize("app", sorted(COMMANDS))
def test_the_committed_c_modules_are_what_their_sources_build(app: str, tmp_path: Path) -> None:
    sources = [EXAMPLES / app / "c" / f"{command}.c" for command in COMMANDS[app]]
    rebuilt = build_c(sources, tmp_path)
    builder = c_builder()
    same_bytes = builder.zig_available() and builder.zig_version() == builder.REFERENCE_ZIG
    assert_same_handlers(app, "c", rebuilt, same_bytes)


@pytest.mark.slow  # clang has no compile cache: a second per module
@pytest.mark.parametrize("app", sorted(COMMANDS))
def test_debian_clang_builds_the_same_handlers(app: str, tmp_path: Path) -> None:
    sources = [EXAMPLES / app / "c" / f"{command}.c" for command in COMMANDS[app]]
    rebuilt = build_c(sources, tmp_path, toolchain="clang")
    assert_same_handlers(app, "c", rebuilt, same_bytes=False)


@pytest.mark.slow  # binaryen optimises each module for seconds
@pytest.mark.parametrize("app", sorted(COMMANDS))
def test_the_committed_assemblyscript_modules_are_what_their_sources_build(
    app: str, tmp_path: Path
) -> None:
    sources = [EXAMPLES / app / "assemblyscript" / f"{command}.ts" for command in COMMANDS[app]]
    rebuilt = build_assemblyscript(sources, tmp_path)
    assert_same_handlers(app, "assemblyscript", rebuilt, same_bytes=True)


def test_the_stories_reach_every_kind_of_decision() -> None:
    """The comparison above means something: the stories emit, reject and emit nothing."""
    steps = story("kanban", [module_path("kanban", "c", c) for c in COMMANDS["kanban"]])
    outcomes = {(outcome, bool(events)) for _, outcome, _, _, events in steps}
    assert outcomes == {("ok", True), ("ok", False), ("rejected", False)}
