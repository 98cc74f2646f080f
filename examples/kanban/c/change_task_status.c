/* change_task_status: move a live task to TODO, DOING or DONE (its own column changes nothing). */
#include "kanban.h"

static void describe(esr_manifest *m) {
    esr_command(m, "change_task_status", "1.0.0");
    esr_description(m, "Move a task to another column: TODO, DOING or DONE.");
    reads_task(m);
    esr_emits(m, "TaskStatusChanged");
    esr_input_schema(m, "{\"type\":\"object\",\"properties\":{"
                        "\"task_id\":" TEXT_SCHEMA ","
                        "\"status\":{\"type\":\"string\",\"enum\":[\"TODO\",\"DOING\",\"DONE\"]}},"
                        "\"required\":[\"task_id\",\"status\"]}");
}

static void validate(esr_val input, esr_result *r) {
    esr_str status;
    esr_need_str(r, input, "task_id");
    status = esr_get_str(input, "status");
    if (!esr_is(status, "TODO") && !esr_is(status, "DOING") && !esr_is(status, "DONE"))
        esr_reject(r, "invalid_input", "status must be one of TODO, DOING, DONE");
}

static void handle(esr_val input, esr_result *r) {
    esr_str id = esr_get_str(input, "task_id");
    esr_str status = esr_get_str(input, "status");
    if (!live_task(r, id) || esr_str_eq(status, task.status)) return;
    esr_emit(r, "TaskStatusChanged");
    esr_put_str(r, "task_id", id);
    esr_put_str(r, "status", status);
    esr_put_str(r, "previous_status", task.status);
}

ESR_HANDLER_WITH_VALIDATE(task, describe, validate, apply, handle)
