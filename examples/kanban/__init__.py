"""The kanban board: tasks that move between columns (see examples/README.md)."""
