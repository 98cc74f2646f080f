"""Event store backends: :mod:`~esruntime.backends.memory` and :mod:`~esruntime.backends.sql`."""
