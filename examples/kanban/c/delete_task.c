/* delete_task: delete a live task; a deleted task accepts no further commands. */
#include "kanban.h"

static void describe(esr_manifest *m) {
    esr_command(m, "delete_task", "1.0.0");
    esr_description(m, "Delete a task; it then accepts no command.");
    reads_task(m);
    esr_emits(m, "TaskDeleted");
    esr_input_schema(m, "{\"type\":\"object\",\"properties\":{"
                        "\"task_id\":" TEXT_SCHEMA "},"
                        "\"required\":[\"task_id\"]}");
}

static void validate(esr_val input, esr_result *r) { esr_need_str(r, input, "task_id"); }

static void handle(esr_val input, esr_result *r) {
    esr_str id = esr_get_str(input, "task_id");
    if (!live_task(r, id)) return;
    esr_emit(r, "TaskDeleted");
    esr_put_str(r, "task_id", id);
}

ESR_HANDLER_WITH_VALIDATE(task, describe, validate, apply, handle)
