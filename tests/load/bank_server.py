"""A bank server for the load test, in a process of its own.

``python -m tests.load.bank_server DATABASE_URL``: opens the runtime on the database, registers
the example bank's Python handlers, pushes its schema, creates an admin key, starts uvicorn on a
free port and prints ``<port> <key>`` on one line once it listens.
"""

from __future__ import annotations

import faulthandler
import signal
import sys

import uvicorn

from esruntime.contrib.fastapi import create_app
from esruntime.runtime import Runtime
from examples.bank.python_handlers import HANDLERS, SCHEMA


def main(url: str) -> None:
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    runtime = Runtime.from_url(url, max_retries=50)
    for handler in HANDLERS:
        runtime.register(handler)
    runtime.tenant().schema_registry.push(SCHEMA.read_text())
    key = runtime.api_keys.create(runtime.tenant().name, "load test", ["admin"]).secret
    config = uvicorn.Config(
        create_app(runtime),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)

    async def announce() -> None:
        port = server.servers[0].sockets[0].getsockname()[1]
        print(port, key, flush=True)

    original_startup = server.startup

    async def startup(sockets: list | None = None) -> None:  # type: ignore[type-arg]
        await original_startup(sockets)
        await announce()

    server.startup = startup  # type: ignore[method-assign]
    server.run()
    runtime.close()


if __name__ == "__main__":
    main(sys.argv[1])
