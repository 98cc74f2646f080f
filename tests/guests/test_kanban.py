"""The kanban board, told once and run by its handlers in every language on every store."""

from __future__ import annotations

from tests.guests.apps import App


def test_a_task_is_created_once_and_starts_in_todo(kanban: App) -> None:
    assert kanban.run("create_task", task_id="t1", title="Write the guide").outcome == "ok"
    assert kanban.new_events() == [
        ("TaskCreated", {"task_id": "t1", "title": "Write the guide", "status": "TODO"})
    ]
    assert kanban.rejection("create_task", task_id="t1", title="Again") == (
        "task_already_exists",
        "task t1 already exists",
    )


def test_renaming_and_moving_emit_only_what_changes(kanban: App) -> None:
    kanban.run("create_task", task_id="t1", title="Draft")
    kanban.new_events()
    assert kanban.run("rename_task", task_id="t1", title='Draft ✍ "v2"\n').outcome == "ok"
    assert kanban.run("change_task_status", task_id="t1", status="DOING").outcome == "ok"
    assert kanban.new_events() == [
        ("TaskRenamed", {"task_id": "t1", "title": 'Draft ✍ "v2"\n'}),
        ("TaskStatusChanged", {"task_id": "t1", "status": "DOING", "previous_status": "TODO"}),
    ]
    unchanged = kanban.run("rename_task", task_id="t1", title='Draft ✍ "v2"\n')
    assert (unchanged.outcome, unchanged.event_ids) == ("ok", ())
    assert kanban.run("change_task_status", task_id="t1", status="DOING").event_ids == ()
    assert kanban.new_events() == []


def test_a_deleted_task_accepts_no_command(kanban: App) -> None:
    kanban.run("create_task", task_id="t1", title="Draft")
    assert kanban.run("delete_task", task_id="t1").outcome == "ok"
    assert kanban.new_events()[-1] == ("TaskDeleted", {"task_id": "t1"})
    deleted = ("task_deleted", "task t1 was deleted")
    assert kanban.rejection("rename_task", task_id="t1", title="New") == deleted
    assert kanban.rejection("change_task_status", task_id="t1", status="DONE") == deleted
    assert kanban.rejection("delete_task", task_id="t1") == deleted
    assert kanban.rejection("create_task", task_id="t1", title="Again") == deleted


def test_a_missing_task_or_bad_input_is_refused(kanban: App) -> None:
    assert kanban.rejection("rename_task", task_id="t9", title="New") == (
        "task_not_found",
        "task t9 does not exist",
    )
    assert kanban.rejection("change_task_status", task_id="t9", status="doing") == (
        "invalid_input",
        "status must be one of TODO, DOING, DONE",
    )
    assert kanban.rejection("create_task", task_id="t9", title=["a list"]) == (
        "invalid_input",
        "title must be a non-empty string",
    )
    assert kanban.rejection("delete_task", task_id=7) == (
        "invalid_input",
        "task_id must be a non-empty string",
    )
