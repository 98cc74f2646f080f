"""The example bank's Flask app for a WSGI server, as ``bench_processes.py`` runs it.

``gunicorn benchmarks.wsgi_bank:app`` with ``ESRUNTIME_DATABASE_URL`` set: each worker process
imports this module and so opens its own runtime on the database (whose schema and keys the
benchmark made), with the bank's Python handlers registered.
"""

from __future__ import annotations

import os

from esruntime.contrib.flask import create_app
from esruntime.runtime import Runtime
from examples.bank.python_handlers import HANDLERS

runtime = Runtime.from_url(os.environ["ESRUNTIME_DATABASE_URL"])
for handler in HANDLERS:
    runtime.register(handler)
app = create_app(runtime)
