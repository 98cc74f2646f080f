// The task every kanban handler replays: the query binds one task_id, so every event replayed
// belongs to it (see examples/README.md).
import { Event, Handler, Manifest, Result } from "../../../sdk/assemblyscript/assembly";

export abstract class TaskHandler extends Handler {
  created: bool = false;
  deleted: bool = false;
  title: string = "";
  status: string = "";

  apply(e: Event): void {
    if (e.is("TaskCreated")) {
      this.created = true;
      this.title = e.data.get("title").str() || "";
      this.status = e.data.get("status").str() || "";
    } else if (e.is("TaskRenamed")) {
      this.title = e.data.get("title").str() || "";
    } else if (e.is("TaskStatusChanged")) {
      this.status = e.data.get("status").str() || "";
    } else if (e.is("TaskDeleted")) {
      this.deleted = true;
    }
  }

  /** Whether the task exists and was not deleted; otherwise a rejection. */
  liveTask(r: Result, id: string): bool {
    if (!this.created) r.reject("task_not_found", `task ${id} does not exist`);
    else if (this.deleted) r.reject("task_deleted", `task ${id} was deleted`);
    return !r.rejected;
  }
}

// The input schemas' text field (JSON Schema text joined into each handler's): an id or a title,
// what needString accepts.
export const TEXT_SCHEMA = '{"type":"string","minLength":1}';

/** The events every kanban handler reads, by task_id. */
export function readsTask(m: Manifest): Manifest {
  return m
    .reads("TaskCreated", ["task_id"])
    .reads("TaskRenamed", ["task_id"])
    .reads("TaskStatusChanged", ["task_id"])
    .reads("TaskDeleted", ["task_id"])
    .binds("task_id", "task_id");
}
