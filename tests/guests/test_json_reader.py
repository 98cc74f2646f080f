"""The SDKs' JSON reader against hostile input, in C and AssemblyScript alike.

Command input reaches a guest as bytes; the executor only ever sends valid JSON, so malformed
input is sent here export by export. Malformed input is a clean ``invalid_input`` rejection,
never a trap; a malformed event frame is the guest's ``bad_frame`` error.
"""

from __future__ import annotations

import json

import pytest

from esruntime import InMemoryEventStore
from tests.guests.apps import App
from tests.guests.raw import LANGUAGES, Raw


@pytest.fixture(params=LANGUAGES)
def create_task(request: pytest.FixtureRequest) -> Raw:
    return Raw("kanban", str(request.param), "create_task")


MALFORMED = {
    b"": "expected a value at byte 0",
    b'{"task_id": "t1"': "expected ',' or '}' at byte 16",
    b'{"task_id": "t1",}': "expected a string key at byte 17",
    b'{"task_id": x1}': "unexpected character at byte 12",
    b'{"task_id": "\\': "unterminated string at byte 14",
    b'{"task_id": "t1"} x': "unexpected text after the value at byte 18",
    b'{"task_id": "\\x"}': "invalid escape at byte 13",
    b'{"task_id": "\\ud800"}': "high surrogate escape without its low surrogate at byte 13",
    b'{"task_id": "\\udc00x"}': "lone low surrogate escape at byte 13",
    b'{"task_id": "a\nb"}': "control character in a string (escape it) at byte 14",
    b'{"task_id": "\xff"}': "invalid UTF-8 at byte 13",
    b'{"task_id": "\xed\xa0\x80"}': "invalid UTF-8 at byte 13",
    b'{"n": 01}': "expected ',' or '}' at byte 7",
    b'{"n": -}': "invalid number at byte 7",
    b'{"n": 1.}': "invalid number at byte 8",
    b'{"n": tru}': "invalid literal (true, false or null) at byte 6",
    b'{"task_id": "unterminated': "unterminated string at byte 25",
}


@pytest.mark.parametrize("data", list(MALFORMED))
def test_malformed_input_is_a_clean_invalid_input_rejection(create_task: Raw, data: bytes) -> None:
    rejected = create_task.handle(data)["rejected"]
    assert rejected == {
        "code": "invalid_input",
        "message": f"command input is not valid JSON: {MALFORMED[data]}",
    }
    assert create_task.call("esr_validate", data)["rejected"] == rejected


def test_input_that_is_not_an_object_is_refused(create_task: Raw) -> None:
    for data in (b"[]", b'"task"', b"null", b" 42 "):
        assert create_task.handle(data)["rejected"] == {
            "code": "invalid_input",
            "message": "command input must be a JSON object",
        }


def test_deep_nesting_is_refused_without_recursion(create_task: Raw) -> None:
    deep = b'{"task_id": "t1", "title": "x", "extra": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    assert create_task.handle(deep)["rejected"]["message"] == (
        "command input is not valid JSON: nested deeper than 128 levels at byte 168"
    )
    nested = b'{"task_id": "t1", "title": "x", "extra": ' + b"[" * 127 + b"]" * 127 + b"}"
    assert create_task.handle(nested)["ok"][0]["type"] == "TaskCreated"


def test_unknown_keys_in_any_order_are_ignored_and_the_last_repeat_wins(create_task: Raw) -> None:
    data = b'{"z": {"task_id": "no"}, "title": "T", "task_id": "first", "task_id": "t1"}'
    [event] = create_task.handle(data)["ok"]
    assert event["data"] == {"task_id": "t1", "title": "T", "status": "TODO"}


def test_escapes_and_surrogate_pairs_are_decoded_and_written_back(create_task: Raw) -> None:
    title = 'a "quoted" \\ slash / tab\t nul\x00 é 😀 \u2028'
    escaped = json.dumps({"task_id": "t\u00e9", "title": title}).encode()  # \ud83d\ude00 etc.
    assert b"\\ud83d\\ude00" in escaped
    [event] = create_task.handle(escaped)["ok"]
    assert event["data"]["title"] == title
    assert event["data"]["task_id"] == "té"


def test_wrong_types_are_refused_by_validate_before_any_read(create_task: Raw) -> None:
    values: list[object] = [None, 7, 1.5, True, [], {}, ""]
    for value in values:
        data = json.dumps({"task_id": "t1", "title": value}).encode()
        assert create_task.call("esr_validate", data)["rejected"] == {
            "code": "invalid_input",
            "message": "title must be a non-empty string",
        }


@pytest.mark.parametrize("language", LANGUAGES)
def test_huge_strings_pass_through_intact(language: str) -> None:
    kanban = App("kanban", language, InMemoryEventStore())
    title = "x" * 100_000 + "é" * 50_000 + "\n"
    assert kanban.run("create_task", task_id="t1", title=title).outcome == "ok"
    assert kanban.run("rename_task", task_id="t1", title=title + "!").outcome == "ok"
    assert [data["title"] for _, data in kanban.new_events()] == [title, title + "!"]


def test_a_malformed_frame_is_the_guests_error(create_task: Raw) -> None:
    assert create_task.call("esr_apply", b"\x05\x00\x00\x00{}") == {
        "error": {"code": "bad_frame", "message": "the frame at byte 0 overruns its batch"}
    }
    assert create_task.call("esr_apply", b"\x01\x00") == {
        "error": {"code": "bad_frame", "message": "the frame header at byte 0 is cut short"}
    }
    assert create_task.apply(b'{"type": 1, "data": {}}')["error"]["message"] == (
        "the event at byte 4 has no string 'type' or no 'data'"
    )
    assert create_task.apply(b'{"type": "TaskCreated", "data": {]}')["error"]["message"] == (
        "the event at byte 4 is not valid JSON: expected a string key at byte 33"
    )


def test_frames_apply_in_order_and_unknown_types_are_ignored(create_task: Raw) -> None:
    created = {"type": "TaskCreated", "data": {"task_id": "t1", "title": "A", "status": "TODO"}}
    other = {"data": {"x": [1, {"y": "}"}]}, "type": "SomethingElse", "position": 9}
    assert create_task.apply(json.dumps(other).encode(), json.dumps(created).encode()) is None
    assert create_task.handle(b'{"task_id": "t1", "title": "B"}')["rejected"]["code"] == (
        "task_already_exists"
    )
