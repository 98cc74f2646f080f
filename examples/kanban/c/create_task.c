/* create_task: a new task, in the TODO column. */
#include "kanban.h"

static void describe(esr_manifest *m) {
    esr_command(m, "create_task", "1.0.0");
    esr_description(m, "Create a task; it starts in TODO.");
    reads_task(m);
    esr_emits(m, "TaskCreated");
    esr_input_schema(m, "{\"type\":\"object\",\"properties\":{"
                        "\"task_id\":" TEXT_SCHEMA ",\"title\":" TEXT_SCHEMA "},"
                        "\"required\":[\"task_id\",\"title\"]}");
}

static void validate(esr_val input, esr_result *r) {
    esr_need_str(r, input, "task_id");
    esr_need_str(r, input, "title");
}

static void handle(esr_val input, esr_result *r) {
    esr_str id = esr_get_str(input, "task_id");
    if (task.deleted) esr_reject(r, "task_deleted", "task %S was deleted", id);
    else if (task.created) esr_reject(r, "task_already_exists", "task %S already exists", id);
    if (esr_rejected(r)) return;
    esr_emit(r, "TaskCreated");
    esr_put_str(r, "task_id", id);
    esr_put_str(r, "title", esr_get_str(input, "title"));
    esr_put_cstr(r, "status", "TODO");
}

ESR_HANDLER_WITH_VALIDATE(task, describe, validate, apply, handle)
