// change_task_status: move a live task to TODO, DOING or DONE (its own column changes nothing).
import { Json, Manifest, Result, register } from "../../../sdk/assemblyscript/assembly";
import { TEXT_SCHEMA, TaskHandler, readsTask } from "./kanban";
export * from "../../../sdk/assemblyscript/assembly/abi";

class ChangeTaskStatus extends TaskHandler {
  describe(m: Manifest): void {
    m.command("change_task_status", "1.0.0").description("Move a task to another column: TODO, DOING or DONE.");
    readsTask(m)
      .emits("TaskStatusChanged")
      .inputSchema(
        '{"type":"object","properties":{' +
          `"task_id":${TEXT_SCHEMA},` +
          '"status":{"type":"string","enum":["TODO","DOING","DONE"]}},' +
          '"required":["task_id","status"]}',
      );
  }

  validate(input: Json, r: Result): void {
    r.needString(input, "task_id");
    const status = input.get("status");
    if (!status.is("TODO") && !status.is("DOING") && !status.is("DONE")) {
      r.reject("invalid_input", "status must be one of TODO, DOING, DONE");
    }
  }

  handle(input: Json, r: Result): void {
    const id = input.get("task_id").str()!;
    const status = input.get("status").str()!;
    if (!this.liveTask(r, id) || status == this.status) return;
    r.emit("TaskStatusChanged")
      .putString("task_id", id)
      .putString("status", status)
      .putString("previous_status", this.status);
  }
}

register(() => new ChangeTaskStatus());
