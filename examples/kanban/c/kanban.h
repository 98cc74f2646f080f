/*
 * The task every kanban handler replays: the query binds one task_id, so every event replayed
 * belongs to it (see examples/README.md).
 */
#ifndef KANBAN_H
#define KANBAN_H

#include "esruntime.h"

/* The input schemas' text field (JSON Schema text that the compiler joins into each handler's):
 * an id or a title, what esr_need_str accepts. */
#define TEXT_SCHEMA "{\"type\":\"string\",\"minLength\":1}"

static struct {
    int created, deleted;
    esr_str title, status;
} task;

static void apply(const esr_event *e) {
    if (esr_is(e->type, "TaskCreated")) {
        task.created = 1;
        task.title = esr_get_str(e->data, "title");
        task.status = esr_get_str(e->data, "status");
    } else if (esr_is(e->type, "TaskRenamed")) {
        task.title = esr_get_str(e->data, "title");
    } else if (esr_is(e->type, "TaskStatusChanged")) {
        task.status = esr_get_str(e->data, "status");
    } else if (esr_is(e->type, "TaskDeleted")) {
        task.deleted = 1;
    }
}

/* 1 if the task exists and was not deleted; otherwise a rejection. */
static inline int live_task(esr_result *r, esr_str id) {
    if (!task.created) esr_reject(r, "task_not_found", "task %S does not exist", id);
    else if (task.deleted) esr_reject(r, "task_deleted", "task %S was deleted", id);
    return !esr_rejected(r);
}

/* The events every kanban handler reads, by task_id. */
static void reads_task(esr_manifest *m) {
    esr_reads(m, "TaskCreated", "task_id");
    esr_reads(m, "TaskRenamed", "task_id");
    esr_reads(m, "TaskStatusChanged", "task_id");
    esr_reads(m, "TaskDeleted", "task_id");
    esr_binds(m, "task_id", "task_id");
}

#endif
