// delete_task: delete a live task; a deleted task accepts no further commands.
import { Json, Manifest, Result, register } from "../../../sdk/assemblyscript/assembly";
import { TEXT_SCHEMA, TaskHandler, readsTask } from "./kanban";
export * from "../../../sdk/assemblyscript/assembly/abi";

class DeleteTask extends TaskHandler {
  describe(m: Manifest): void {
    m.command("delete_task", "1.0.0").description("Delete a task; it then accepts no command.");
    readsTask(m)
      .emits("TaskDeleted")
      .inputSchema(
        '{"type":"object","properties":{' +
          `"task_id":${TEXT_SCHEMA}},` +
          '"required":["task_id"]}',
      );
  }

  validate(input: Json, r: Result): void {
    r.needString(input, "task_id");
  }

  handle(input: Json, r: Result): void {
    const id = input.get("task_id").str()!;
    if (!this.liveTask(r, id)) return;
    r.emit("TaskDeleted").putString("task_id", id);
  }
}

register(() => new DeleteTask());
