"""The events of ``POST /commands/{name}``'s answer: from the command's result when the store
reads them back as appended, else read back; either way the same."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime.handlers import Decision, Emit, PythonHandler
from esruntime.runtime import Runtime
from esruntime.web.commands import appended_events

NOTES: list[Any] = [
    {"order": {"b": 1, "a": 2, "": 3}, "nested": [[{"x": [4]}]]},
    {"floats": [1e16, -0.0, 1.5e-7, 0.1, 1.0, 2.5e300], "big": 2**70, "negative": -(2**65)},
    {"text": 'é\u2028\U0001f600\t"\\ \x7f', "empty": {}, "none": None, "flags": [True, False]},
    "a string",
    12345678901234567890123,
]


class Note(PythonHandler):
    name = "note"
    reads = {"Noted": ["note_id"]}
    input_domain_ids = {"note_id": "note_id"}
    emits = ["Noted"]

    def apply(self, event: Any) -> None:
        pass

    def handle(self, command: dict[str, Any]) -> Decision:
        note, note_id = NOTES[command["note"]], command["note_id"]
        return [
            Emit("Noted", {"note_id": note_id, "note": note}),
            Emit("Noted", {"note_id": note_id, "note": [note]}),
        ]


class Reading:
    """A store that counts its reads, and says whether it reads back as appended."""

    def __init__(self, store: Any, reads_back_as_appended: bool) -> None:
        self.store = store
        self.reads = 0
        if reads_back_as_appended:
            self.reads_back_as_appended = store.reads_back_as_appended

    def read(self, **options: Any) -> Any:
        self.reads += 1
        return self.store.read(**options)


@pytest.fixture(params=["memory", "sqlite"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/notes.db"
    runtime = Runtime.from_url(url)
    runtime.tenant().schema_registry.push("event Noted {\n  @note_id: String\n  note: Json\n}\n")
    runtime.register(Note)
    yield runtime
    runtime.close()


@pytest.mark.parametrize("note", range(len(NOTES)))
def test_the_events_from_the_result_are_those_read_back(runtime: Runtime, note: int) -> None:
    store = runtime.tenant().store
    assert store.reads_back_as_appended is True  # type: ignore[attr-defined]
    for attempt in range(5):  # until a command runs within one second of the clock
        began = time.time_ns()
        result = runtime.execute("note", {"note_id": f"n{note}.{attempt}", "note": note})
        ended = time.time_ns()
        assert result.outcome == "ok"
        if began // 10**9 == ended // 10**9:
            break
    read_back = appended_events(store, result)
    counted = Reading(store, reads_back_as_appended=True)
    from_result = appended_events(counted, result, began, ended)  # type: ignore[arg-type]
    assert counted.reads == 0
    assert from_result == read_back
    assert [type(e["data"]) for e in from_result] == [type(e["data"]) for e in read_back]


def test_a_command_across_a_second_reads_its_events_back(runtime: Runtime) -> None:
    store = runtime.tenant().store
    result = runtime.execute("note", {"note_id": "n", "note": 0})
    began = (time.time_ns() // 10**9 - 5) * 10**9  # a clock across two seconds: read back
    stamped = appended_events(store, result)[0]["timestamp"]
    assert appended_events(store, result, began, began + 10**9)[0]["timestamp"] == stamped


def test_without_the_clock_or_a_store_that_says_so_the_events_are_read_back(
    runtime: Runtime,
) -> None:
    result = runtime.execute("note", {"note_id": "n", "note": 2})
    store = Reading(runtime.tenant().store, reads_back_as_appended=False)
    now = time.time_ns()
    expected = appended_events(runtime.tenant().store, result)
    assert appended_events(store, result, now, now) == expected  # type: ignore[arg-type]
    assert store.reads == 1
