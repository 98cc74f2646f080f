// The kanban board of the example handlers (examples/README.md): tasks that move between
// columns. A deleted task accepts no further commands.

enum TaskStatus { TODO, DOING, DONE }

/// A task was created; every task starts in TODO.
event TaskCreated {
  @task_id: String
  title: String
  status: TaskStatus
}

/// A task got a new title.
event TaskRenamed {
  @task_id: String
  title: String
}

/// A task moved to another column.
event TaskStatusChanged {
  @task_id: String
  status: TaskStatus
  previous_status: TaskStatus
}

/// A task was deleted.
event TaskDeleted {
  @task_id: String
}
