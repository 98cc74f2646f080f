"""The C and AssemblyScript handlers of docs/handler-api.md build as written and decide as its
Python handler does, on the same story."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.handlers import Emit, PythonHandler, load_wasm_handler
from esruntime.schema import parse_schema
from tests.guests.toolchains import ROOT, build_assemblyscript, build_c

PAGE = (ROOT / "docs" / "handler-api.md").read_text()
SEATS = parse_schema(re.findall(r"```esdl\n(.*?)```", PAGE, re.S)[0])
STORY: list[dict[str, Any]] = [
    {"show_id": "s1", "seat": 2, "guest": "Ann"},
    {"show_id": "s1", "seat": 2, "guest": "Bo"},
    {"show_id": "s1", "seat": 5, "guest": "Bo"},
    {"show_id": "s1", "seat": "2", "guest": "Bo"},
    {"show_id": "s1", "seat": 1},
    {"show_id": "s2", "seat": 1, "guest": "Cy"},
]


def block(language: str) -> str:
    """The page's first block of ``language``."""
    text: str = re.findall(rf"```{language}\n(.*?)```", PAGE, re.S)[0]
    return text


class AddSeats(PythonHandler):
    name = "add_seats"
    emits = ["SeatsAdded"]

    def handle(self, command: dict[str, Any]) -> list[Emit]:
        return [Emit("SeatsAdded", {"show_id": command["show_id"], "count": command["count"]})]


def story(register: Any) -> list[tuple[Any, ...]]:
    store = InMemoryEventStore()
    executor = CommandExecutor(store, schema=lambda: SEATS)
    executor.register(AddSeats)
    register(executor)
    executor.execute("add_seats", {"show_id": "s1", "count": 3})
    steps = []
    for command in STORY:
        result = executor.execute("reserve_seat", command)
        steps.append((result.outcome, result.code, result.message))
    events = [(e.type, e.data, e.tags) for e in store.read().events]
    return [*steps, *events]


def python_story() -> list[tuple[Any, ...]]:
    namespace: dict[str, Any] = {}
    exec(compile(block("python").split("\n\nwith ")[0], "handler-api.md", "exec"), namespace)
    return story(lambda executor: executor.register(namespace["ReserveSeat"]))


def wasm_story(wasm: bytes) -> list[tuple[Any, ...]]:
    manifest, factory = load_wasm_handler(wasm)
    assert manifest.input_schema is not None
    return story(lambda executor: executor.register_factory(manifest, factory))


def test_the_c_handler_of_the_page_builds_and_decides_as_the_python_one(tmp_path: Path) -> None:
    source = tmp_path / "reserve_seat.c"
    source.write_text(block("c"))
    [wasm] = build_c([source], tmp_path)
    assert wasm_story(wasm.read_bytes()) == python_story()


@pytest.mark.slow  # binaryen optimises for seconds
def test_the_assemblyscript_handler_of_the_page_builds_and_decides_alike(tmp_path: Path) -> None:
    # The page imports the SDK as its npm package; here it is the repository's folder.
    here = ROOT / "tests" / "guests"
    source = here / f"doc_reserve_seat_{tmp_path.name}.ts"
    source.write_text(
        block("ts").replace('"esruntime-sdk/assembly', '"../../sdk/assemblyscript/assembly')
    )
    try:
        [wasm] = build_assemblyscript([source], tmp_path)
    finally:
        source.unlink()
    assert wasm_story(wasm.read_bytes()) == python_story()
