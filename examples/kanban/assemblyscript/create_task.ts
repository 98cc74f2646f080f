// create_task: a new task, in the TODO column.
import { Json, Manifest, Result, register } from "../../../sdk/assemblyscript/assembly";
import { TEXT_SCHEMA, TaskHandler, readsTask } from "./kanban";
export * from "../../../sdk/assemblyscript/assembly/abi";

class CreateTask extends TaskHandler {
  describe(m: Manifest): void {
    m.command("create_task", "1.0.0").description("Create a task; it starts in TODO.");
    readsTask(m)
      .emits("TaskCreated")
      .inputSchema(
        '{"type":"object","properties":{' +
          `"task_id":${TEXT_SCHEMA},"title":${TEXT_SCHEMA}},` +
          '"required":["task_id","title"]}',
      );
  }

  validate(input: Json, r: Result): void {
    r.needString(input, "task_id");
    r.needString(input, "title");
  }

  handle(input: Json, r: Result): void {
    const id = input.get("task_id").str()!;
    if (this.deleted) r.reject("task_deleted", `task ${id} was deleted`);
    else if (this.created) r.reject("task_already_exists", `task ${id} already exists`);
    if (r.rejected) return;
    r.emit("TaskCreated")
      .putString("task_id", id)
      .putJson("title", input.get("title"))
      .putString("status", "TODO");
  }
}

register(() => new CreateTask());
