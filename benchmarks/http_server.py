"""The bank server of ``bench_http.py``, in a process of its own.

``python benchmarks/http_server.py DATABASE_URL``: the example bank's Python handlers on the
database, an admin API key (stored, so every request pays the key lookup), and the app that
``esruntime serve`` runs (``create_app`` with its lifespan, so the runtime's workers run too)
under the same uvicorn configuration (httptools behind the bounded head protocol, uvloop).
Next to the API, two routes of the host's own on the same app and stack, the baselines of
``GET /v1/health``: ``GET /bare`` (a sync route: FastAPI runs it in its thread pool) and
``GET /bare-async``. Prints ``<port> <key>`` once it listens.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esruntime.runtime import Runtime
from examples.bank.python_handlers import HANDLERS


def main(url: str) -> None:
    import uvicorn

    from esruntime.contrib.fastapi import create_app
    from esruntime.contrib.uvicorn import bounded_http_protocol

    runtime = Runtime.from_url(url)
    for handler in HANDLERS:
        runtime.register(handler)
    key = runtime.api_keys.create(runtime.default_tenant, "bench", ["admin"]).secret
    app = create_app(runtime)

    @app.get("/bare")
    def bare() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/bare-async")
    async def bare_async() -> dict[str, str]:
        return {"status": "ok"}

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", http=bounded_http_protocol()
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    print(server.servers[0].sockets[0].getsockname()[1], key, flush=True)
    thread.join()


if __name__ == "__main__":
    main(sys.argv[1])
