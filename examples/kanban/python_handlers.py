"""The kanban board's handlers in Python: the reference behaviour of the C and AssemblyScript ones.

Every handler replays one task (the query binds its ``task_id``); a deleted task accepts no
command, and a command that would change nothing (the same title, the same column) emits nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from esruntime.events import SequencedEvent
from esruntime.handlers import Decision, Emit, PythonHandler, Rejection
from examples.checks import TEXT, first, need_str, required

SCHEMA = Path(__file__).with_name("schema.esdl")
STATUSES = ("TODO", "DOING", "DONE")


class TaskHandler(PythonHandler):
    """Folds the task the command names."""

    reads: ClassVar[Mapping[str, Sequence[str]]] = {
        t: ["task_id"] for t in ("TaskCreated", "TaskRenamed", "TaskStatusChanged", "TaskDeleted")
    }
    input_domain_ids: ClassVar[Mapping[str, str]] = {"task_id": "task_id"}
    version = "1.0.0"

    def __init__(self) -> None:
        self.created = False
        self.deleted = False
        self.title: str | None = None
        self.status: str | None = None

    def apply(self, event: SequencedEvent) -> None:
        if event.type == "TaskCreated":
            self.created = True
            self.title = event.data["title"]
            self.status = event.data["status"]
        elif event.type == "TaskRenamed":
            self.title = event.data["title"]
        elif event.type == "TaskStatusChanged":
            self.status = event.data["status"]
        elif event.type == "TaskDeleted":
            self.deleted = True

    def live_task(self, task_id: str) -> Rejection | None:
        if not self.created:
            return Rejection("task_not_found", f"task {task_id} does not exist")
        if self.deleted:
            return Rejection("task_deleted", f"task {task_id} was deleted")
        return None


class CreateTask(TaskHandler):
    name = "create_task"
    description = "Create a task; it starts in TODO."
    emits: ClassVar[Sequence[str]] = ["TaskCreated"]
    input_schema = required(task_id=TEXT, title=TEXT)

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        return first(need_str(command, "task_id"), need_str(command, "title"))

    def handle(self, command: dict[str, Any]) -> Decision:
        task_id = command["task_id"]
        if self.deleted:
            return Rejection("task_deleted", f"task {task_id} was deleted")
        if self.created:
            return Rejection("task_already_exists", f"task {task_id} already exists")
        data = {"task_id": task_id, "title": command["title"], "status": "TODO"}
        return [Emit("TaskCreated", data)]


class RenameTask(TaskHandler):
    name = "rename_task"
    description = "Give a task a new title."
    emits: ClassVar[Sequence[str]] = ["TaskRenamed"]
    input_schema = required(task_id=TEXT, title=TEXT)

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        return first(need_str(command, "task_id"), need_str(command, "title"))

    def handle(self, command: dict[str, Any]) -> Decision:
        task_id, title = command["task_id"], command["title"]
        rejection = self.live_task(task_id)
        if rejection is not None:
            return rejection
        if title == self.title:
            return []
        return [Emit("TaskRenamed", {"task_id": task_id, "title": title})]


class ChangeTaskStatus(TaskHandler):
    name = "change_task_status"
    description = "Move a task to another column: TODO, DOING or DONE."
    emits: ClassVar[Sequence[str]] = ["TaskStatusChanged"]
    input_schema = required(task_id=TEXT, status={"type": "string", "enum": list(STATUSES)})

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        status = None
        if command.get("status") not in STATUSES:
            status = Rejection("invalid_input", "status must be one of TODO, DOING, DONE")
        return first(need_str(command, "task_id"), status)

    def handle(self, command: dict[str, Any]) -> Decision:
        task_id, status = command["task_id"], command["status"]
        rejection = self.live_task(task_id)
        if rejection is not None:
            return rejection
        if status == self.status:
            return []
        data = {"task_id": task_id, "status": status, "previous_status": self.status}
        return [Emit("TaskStatusChanged", data)]


class DeleteTask(TaskHandler):
    name = "delete_task"
    description = "Delete a task; it then accepts no command."
    emits: ClassVar[Sequence[str]] = ["TaskDeleted"]
    input_schema = required(task_id=TEXT)

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        return need_str(command, "task_id")

    def handle(self, command: dict[str, Any]) -> Decision:
        task_id = command["task_id"]
        rejection = self.live_task(task_id)
        if rejection is not None:
            return rejection
        return [Emit("TaskDeleted", {"task_id": task_id})]


HANDLERS: tuple[type[TaskHandler], ...] = (CreateTask, RenameTask, ChangeTaskStatus, DeleteTask)
