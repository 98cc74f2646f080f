"""``create_app`` answers the API's routes straight from ASGI (``contrib.fastapi.direct``) when
nothing of the host's would see them: byte for byte what FastAPI's routes answer, and FastAPI's
routes again as soon as the host adds middleware or overrides."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware

from esruntime.contrib.fastapi import create_app, install
from esruntime.contrib.fastapi.direct import DirectApi
from esruntime.runtime import Runtime
from esruntime.web import Limits
from tests.commands.bank import Deposit, OpenAccount
from tests.web.apps import BANK_SCHEMA, TestClient

LIMITS = Limits(max_body_bytes=64)
BIG = {"account_id": "a" * 100, "amount": 1}


def bank() -> tuple[Runtime, str]:
    runtime = Runtime()
    runtime.register(OpenAccount)
    runtime.register(Deposit)
    runtime.tenant("acme").schema_registry.push(BANK_SCHEMA)
    return runtime, runtime.api_keys.create("acme", "k", ["admin"]).secret


def scenario(client: TestClient, key: str) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    auth = {"Authorization": f"Bearer {key}", "X-Request-ID": "req-fixed"}
    as_json = {**auth, "Content-Type": "application/json"}
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/v1/health", {}),
        ("POST", "/v1/commands/open_account", {"json": {"account_id": "a", "owner": "o"}}),
        ("POST", "/v1/commands/deposit", {"json": {"account_id": "a", "amount": 5}}),
        ("POST", "/v1/commands/deposit", {"json": {"account_id": "a", "amount": -1}}),
        ("POST", "/v1/commands/deposit", {"content": b"{bad", "headers": as_json}),
        ("POST", "/v1/commands/deposit", {"content": b"{}", "headers": auth}),
        ("POST", "/v1/commands/deposit", {"content": json.dumps(BIG), "headers": as_json}),
        ("POST", "/v1/commands/nothing", {"json": {}}),
        ("POST", "/v1/commands/deposit", {"json": {}, "headers": {"X-Request-ID": "r"}}),
        (
            "POST",
            "/v1/commands/deposit",
            {"json": {}, "headers": {"Authorization": "Bad", "X-Request-ID": "q"}},
        ),
        ("POST", "/v1/events/query?raw=true&x=", {"json": {"items": []}}),
        ("GET", "/v1/events/evt_nope?raw=1", {}),
        ("GET", "/v1/events/query", {}),
        ("GET", "/v1/handlers/a%20b", {}),
        ("GET", "/v1/handlers/open_account", {}),
        ("DELETE", "/v1/health", {}),
        ("GET", "/v1/nowhere", {}),
        ("GET", "/v1/metrics", {}),
        ("GET", "/v1/schema", {}),
        ("HEAD", "/v1/schema", {}),
    ]
    replies = []
    for method, path, options in steps:
        options.setdefault("headers", auth)
        reply = client.request(method, path, **options)
        headers = [(k, v) for k, v in reply.headers.items() if k not in ("date",)]
        body = reply.content
        if path.endswith("/metrics"):  # durations differ: the type and status are compared
            headers, body = [(k, v) for k, v in headers if k != "content-length"], b""
        if "/commands/" in path and reply.status_code == 200:
            view = reply.json()
            for event in view["events"]:
                event.pop("id"), event.pop("timestamp")
            body = json.dumps(view).encode()
        replies.append((reply.status_code, headers, body))
    return replies


def test_the_direct_routes_answer_as_fastapis_routes_byte_for_byte() -> None:
    direct_runtime, direct_key = bank()
    direct = create_app(direct_runtime, limits=LIMITS, start_workers=False)
    answerer = direct.direct  # type: ignore[attr-defined]
    assert isinstance(answerer, DirectApi)
    served: list[str] = []
    serve = answerer.serve

    async def counted(found: Any, *asgi: Any) -> None:
        served.append(found[0].name)
        await serve(found, *asgi)

    answerer.serve = counted  # type: ignore[method-assign,assignment]
    routed_runtime, routed_key = bank()
    routed = FastAPI()
    install(routed, routed_runtime, limits=LIMITS, start_workers=False)
    with TestClient(direct) as one, TestClient(routed) as other:
        assert scenario(one, direct_key) == scenario(other, routed_key)
    assert {"execute_command", "get_event", "metrics", "health"} <= set(served)


def test_host_middleware_or_overrides_send_the_api_through_fastapi() -> None:
    runtime, key = bank()
    app = create_app(runtime, start_workers=False)
    seen: list[str] = []

    async def note(request: Request, call_next: Any) -> Any:
        seen.append(request.url.path)
        return await call_next(request)

    app.add_middleware(BaseHTTPMiddleware, dispatch=note)
    with TestClient(app) as client:
        assert client.get("/v1/health").status_code == 200
        reply = client.post(
            "/v1/commands/open_account",
            json={"account_id": "a", "owner": "o"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert reply.status_code == 200
    assert seen == ["/v1/health", "/v1/commands/open_account"]


@pytest.mark.parametrize("given", [{"principal": lambda: None}, {"dependencies": []}])
def test_a_principal_dependency_keeps_fastapis_routes(given: dict[str, Any]) -> None:
    app = create_app(Runtime(), start_workers=False, **given)
    assert (getattr(app, "direct", None) is None) == ("principal" in given)
