"""Mounting into host applications: prefixes, dependencies, the host's own authentication."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Header, Request
from flask import Flask, g

from esruntime.auth import Principal
from esruntime.contrib.fastapi import create_router, install
from esruntime.contrib.flask import Esruntime, EsruntimeState
from esruntime.errors import ConfigurationError
from esruntime.runtime import Runtime
from tests.commands.bank import OpenAccount
from tests.web.apps import BANK_SCHEMA, TestClient, make_client


@pytest.fixture
def runtime() -> Runtime:
    runtime = Runtime()
    runtime.register(OpenAccount)
    runtime.tenant("acme").schema_registry.push(BANK_SCHEMA)
    return runtime


def test_a_fastapi_host_includes_the_router_with_its_prefix_and_dependencies(
    runtime: Runtime,
) -> None:
    app = FastAPI()
    seen: list[str] = []

    def audit(request: Request) -> None:
        seen.append(request.url.path)

    app.include_router(create_router(runtime), prefix="/api/es", dependencies=[Depends(audit)])

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    client = TestClient(app)
    assert client.get("/api/es/health").json()["status"] == "healthy"
    assert seen == ["/api/es/health"]
    assert client.get("/hello").json() == {"hello": "world"}
    assert client.get("/api/es/nothing").json() == {"detail": "Not Found"}  # the host's 404
    assert "/api/es/commands/{command_name}" in app.openapi()["paths"]


def test_install_mounts_under_v1_and_keeps_the_runtime_in_app_state(runtime: Runtime) -> None:
    app = FastAPI()
    install(app, runtime)

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    client = TestClient(app)
    assert app.state.esruntime is runtime
    assert client.get("/v1/health").status_code == 200
    assert client.get("/v1/nothing").json()["error"]["code"] == "route_not_found"
    assert client.get("/hello").status_code == 200


def test_a_fastapi_dependency_can_supply_the_principal(runtime: Runtime) -> None:
    def principal(x_user: Annotated[str | None, Header()] = None) -> Principal | None:
        return None if x_user is None else Principal("acme", {"commands.execute"}, x_user)

    app = FastAPI()
    app.include_router(create_router(runtime, principal=principal), prefix="/v1")
    client = TestClient(app)
    opened = client.post("/v1/commands/open_account", json={"account_id": "a", "owner": "o"},
                         headers={"X-User": "ada"})  # fmt: skip
    assert opened.status_code == 200
    assert runtime.tenant("acme").store.head() == 1
    anonymous = client.post("/v1/commands/open_account", json={"account_id": "b", "owner": "o"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    assert client.get("/v1/schema", headers={"X-User": "ada"}).status_code == 403
    # API keys are not consulted when the host authenticates.
    key = runtime.api_keys.create("acme", "k", ["admin"]).secret
    assert client.get("/v1/schema", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    parameters = app.openapi()["paths"]["/v1/commands/{command_name}"]["post"]["parameters"]
    assert "x-user" in {p["name"].lower() for p in parameters}


def test_a_flask_host_uses_an_application_factory(runtime: Runtime) -> None:
    extension = Esruntime(runtime=runtime, prefix="/api")

    def create_app() -> Flask:
        app = Flask("host")

        @app.get("/hello")
        def hello() -> dict[str, str]:
            return {"hello": "world"}

        extension.init_app(app)
        return app

    app = create_app()
    state = app.extensions["esruntime"]
    assert isinstance(state, EsruntimeState)
    assert state.runtime is runtime
    client = app.test_client()
    assert client.get("/api/health").get_json()["status"] == "healthy"
    assert client.get("/api/nothing").get_json()["error"]["code"] == "route_not_found"
    assert client.get("/hello").json == {"hello": "world"}
    assert create_app().test_client().get("/api/health").status_code == 200


def test_a_flask_before_request_hook_can_supply_the_principal(runtime: Runtime) -> None:
    app = Flask("host")

    @app.before_request
    def authenticate() -> None:
        from flask import request

        user = request.headers.get("X-User")
        g.esruntime_principal = None if user is None else Principal("acme", {"admin"}, user)

    Esruntime(app, runtime)
    client = app.test_client()
    assert client.get("/v1/schema", headers={"X-User": "ada"}).get_json()["version"] == "0.1.0"
    anonymous = client.get("/v1/schema")
    assert (anonymous.status_code, anonymous.get_json()["error"]["code"]) == (401, "unauthorized")


def test_flask_needs_a_runtime() -> None:
    with pytest.raises(ConfigurationError, match="needs a runtime"):
        Esruntime(Flask("host"))


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_a_framework_neutral_resolver_serves_both_adapters(adapter: str) -> None:
    def from_header(headers: Mapping[str, str]) -> Principal | None:
        tenant = headers.get("x-tenant")
        return None if tenant is None else Principal(tenant, {"schema.read"})

    runtime = Runtime(principal_resolver=from_header)
    runtime.tenant("initech").schema_registry.push(BANK_SCHEMA)
    client = make_client(adapter, runtime, {})
    reply = client.get("/schema", key=None, headers={"X-Tenant": "initech"})
    assert reply.json()["version"] == "0.1.0"
    assert client.get("/schema", key=None, headers={"X-Tenant": "other"}).status == 404
    assert client.get("/handlers", key=None, headers={"X-Tenant": "initech"}).status == 403


@pytest.mark.parametrize(("module", "extra"), [("fastapi", "fastapi"), ("flask", "flask")])
def test_a_missing_framework_names_the_extra_to_install(module: str, extra: str) -> None:
    code = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "try:\n"
        f"    import esruntime.contrib.{module}\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"pip install 'esruntime[{extra}]'" in out.stdout


def test_the_web_layer_and_the_runtime_import_no_framework() -> None:
    code = (
        "import sys, esruntime.web, esruntime.runtime, esruntime.auth, esruntime.metrics;"
        "print([m for m in ('fastapi', 'flask', 'starlette', 'werkzeug') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_both_adapters_answer_a_scenario_byte_for_byte_alike(runtime: Runtime) -> None:
    key = runtime.api_keys.create("acme", "k", ["admin"]).secret
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/commands/open_account", {"json_body": {"account_id": "a", "owner": "o"}}),
        ("POST", "/commands/open_account", {"json_body": {"account_id": "a", "owner": "o"}}),
        ("POST", "/commands/nothing", {"json_body": {}}),
        ("POST", "/events/query", {"content": b"{bad", "content_type": "application/json"}),
        ("GET", "/handlers/open_account", {}),
        ("PUT", "/schema", {"content": BANK_SCHEMA, "content_type": "text/plain"}),
    ]
    replies: dict[str, list[tuple[int, str, Any]]] = {}
    for adapter in ("fastapi", "flask"):
        fresh = Runtime(api_keys=runtime.api_keys)
        fresh.register(OpenAccount)
        fresh.tenant("acme").schema_registry.push(BANK_SCHEMA)
        client = make_client(adapter, fresh, {"acme": key})
        replies[adapter] = []
        for method, path, options in steps:
            reply = client.request(method, path, **options)
            body = reply.json()
            body.get("error", {}).pop("request_id", None)
            for event in body.get("events", []):
                event.pop("id"), event.pop("timestamp")
            replies[adapter].append((reply.status, reply.headers["content-type"], body))
    assert replies["fastapi"] == replies["flask"]
