"""Scripts over real sockets: uvicorn for FastAPI, Werkzeug for Flask, on SQLite; concurrent
HTTP-triggered runs each answered and recorded once, and a script past its concurrency refused
with 503 rather than queued without bound."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from esruntime.contrib.fastapi import create_app as create_fastapi_app
from esruntime.contrib.flask import create_app as create_flask_app
from esruntime.runtime import Runtime
from esruntime.scripts import ScriptSettings
from esruntime.scripts.sdk.http import HttpPolicy
from tests.web.apps import bank_runtime
from tests.web.test_servers import serve_uvicorn, serve_werkzeug


@pytest.fixture
def bank(tmp_path: Any) -> Iterator[tuple[Runtime, dict[str, str]]]:
    runtime, keys = bank_runtime(f"sqlite:///{tmp_path}/hooks.db")
    yield runtime, keys
    runtime.close()


@pytest.fixture(params=["uvicorn", "werkzeug"])
def origin(request: pytest.FixtureRequest, bank: tuple[Runtime, dict[str, str]]) -> Iterator[str]:
    runtime, _ = bank
    if request.param == "uvicorn":
        server = serve_uvicorn(create_fastapi_app(runtime))
    else:
        server = serve_werkzeug(create_flask_app(runtime))
    with server as url:
        yield url


@pytest.mark.slow
def test_concurrent_hook_requests_each_run_once(
    origin: str, bank: tuple[Runtime, dict[str, str]]
) -> None:
    _, keys = bank
    auth = {"Authorization": f"Bearer {keys['acme']}"}
    with httpx.Client(base_url=origin, headers=auth, timeout=120) as http:
        created = http.post(
            "/v1/scripts",
            json={
                "name": "counter",
                "type": "http",
                "status": "active",
                "http_path": "/count",
                "http_methods": ["POST"],
                "source": "return {status: 200, body: {n: context.trigger.httpRequest.body.n}};",
                "limits": {"max_concurrent_runs": 100},
            },
        )
        assert created.status_code == 201, created.text
        script_id = created.json()["id"]

        def call(n: int) -> tuple[int, Any]:
            reply = http.post("/hooks/count", json={"n": n})
            return reply.status_code, reply.json()

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(call, range(40)))
        assert sorted(answers, key=lambda a: a[1]["n"]) == [(200, {"n": n}) for n in range(40)]
        listed = http.get(f"/v1/scripts/{script_id}/executions?limit=100").json()
        assert listed["total"] == 40
        assert sorted(
            e["trigger"]["httpRequest"]["body"]["n"] for e in listed["executions"]
        ) == list(range(40))


@contextmanager
def holding_server(release: threading.Event) -> Iterator[str]:
    """A loopback HTTP server whose answers wait for ``release``: a script calling it is
    running until the test lets it go."""

    class Held(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            release.wait(120)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Held)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ["uvicorn", "werkzeug"])
def test_runs_beyond_max_concurrent_runs_are_refused_with_503(tmp_path: Any, adapter: str) -> None:
    release = threading.Event()
    with holding_server(release) as held:
        settings = ScriptSettings(http=HttpPolicy(allowlist=[held]))
        with Runtime.from_url(f"sqlite:///{tmp_path}/held.db", script_settings=settings) as runtime:
            key = runtime.api_keys.create("acme", "admin", ["admin"]).secret
            script = runtime.scripts.create(
                tenant="acme",
                name="single",
                type="http",
                status="active",
                http_path="/single",
                http_methods=["POST"],
                source=f"return (await sdk.http.get('http://{held}/wait')).status;",
                limits={"max_concurrent_runs": 1},
            )
            app = create_fastapi_app(runtime) if adapter == "uvicorn" else create_flask_app(runtime)
            serving = serve_uvicorn(app) if adapter == "uvicorn" else serve_werkzeug(app)
            with (
                serving as origin,
                httpx.Client(
                    base_url=origin, headers={"Authorization": f"Bearer {key}"}, timeout=120
                ) as http,
                ThreadPoolExecutor(1) as pool,
            ):
                first = pool.submit(http.post, "/hooks/single")
                for _ in range(12_000):  # until the first run holds the only slot
                    running = runtime.scripts.executions(script.id, tenant="acme", status="running")
                    if running.total:
                        break
                    release.wait(0.01)
                refused = http.post("/hooks/single")
                release.set()
                answered = first.result(120)
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert set(refused.json()) == {"error", "executionId"}
            assert (answered.status_code, answered.json()) == (200, {"result": 200})


@pytest.mark.slow
def test_concurrent_creates_of_one_name_make_one_script(
    origin: str, bank: tuple[Runtime, dict[str, str]]
) -> None:
    _, keys = bank
    auth = {"Authorization": f"Bearer {keys['acme']}"}
    body = {"name": "only once", "type": "http", "source": "return 1;", "http_path": "/once",
            "http_methods": ["GET"]}  # fmt: skip
    with httpx.Client(base_url=origin, headers=auth, timeout=120) as http:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: http.post("/v1/scripts", json=body).status_code,
                                     range(8)))  # fmt: skip
        assert sorted(statuses) == [201] + [409] * 7
        assert http.get("/v1/scripts?search=only").json()["total"] == 1
