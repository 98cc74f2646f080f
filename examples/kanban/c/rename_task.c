/* rename_task: give a live task a new title (the same title changes nothing). */
#include "kanban.h"

static void describe(esr_manifest *m) {
    esr_command(m, "rename_task", "1.0.0");
    esr_description(m, "Give a task a new title.");
    reads_task(m);
    esr_emits(m, "TaskRenamed");
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
    esr_str title = esr_get_str(input, "title");
    if (!live_task(r, id) || esr_str_eq(title, task.title)) return;
    esr_emit(r, "TaskRenamed");
    esr_put_str(r, "task_id", id);
    esr_put_str(r, "title", title);
}

ESR_HANDLER_WITH_VALIDATE(task, describe, validate, apply, handle)
