"""The bank server of ``bench_http.py``, in a process of its own.

``python benchmarks/http_server.py fastapi|flask DATABASE_URL``: the example bank's Python
handlers on the database, an admin key, and a server on a free port (uvicorn for FastAPI,
Werkzeug's threaded server for Flask); prints ``<port> <key>`` once it listens.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esruntime.runtime import Runtime
from examples.bank.python_handlers import HANDLERS, SCHEMA


def main(framework: str, url: str) -> None:
    runtime = Runtime.from_url(url)
    for handler in HANDLERS:
        runtime.register(handler)
    runtime.tenant().schema_registry.push(SCHEMA.read_text())
    key = runtime.api_keys.create(runtime.default_tenant, "bench", ["admin"]).secret
    if framework == "flask":
        serve_flask(runtime, key)
    else:
        serve_fastapi(runtime, key)


def serve_flask(runtime: Runtime, key: str) -> None:
    import logging

    from werkzeug.serving import make_server

    from esruntime.contrib.flask import create_app as create_flask_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    wsgi = make_server("127.0.0.1", 0, create_flask_app(runtime), threaded=True)
    print(wsgi.port, key, flush=True)
    wsgi.serve_forever()


def serve_fastapi(runtime: Runtime, key: str) -> None:
    import uvicorn

    from esruntime.contrib.fastapi import create_app

    config = uvicorn.Config(
        create_app(runtime), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    print(server.servers[0].sockets[0].getsockname()[1], key, flush=True)
    thread.join()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
