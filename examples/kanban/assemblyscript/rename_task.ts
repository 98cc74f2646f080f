// rename_task: give a live task a new title (the same title changes nothing).
import { Json, Manifest, Result, register } from "../../../sdk/assemblyscript/assembly";
import { TEXT_SCHEMA, TaskHandler, readsTask } from "./kanban";
export * from "../../../sdk/assemblyscript/assembly/abi";

class RenameTask extends TaskHandler {
  describe(m: Manifest): void {
    m.command("rename_task", "1.0.0").description("Give a task a new title.");
    readsTask(m)
      .emits("TaskRenamed")
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
    const title = input.get("title").str()!;
    if (!this.liveTask(r, id) || title == this.title) return;
    r.emit("TaskRenamed").putString("task_id", id).putString("title", title);
  }
}

register(() => new RenameTask());
