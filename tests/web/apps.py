"""The runtime behind the HTTP tests: two bank tenants, API keys, and clients for both adapters.

Every response a test client receives is checked against the OpenAPI document of the FastAPI
adapter: its status must be documented for the route, and its body must match the schema.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jsonschema_rs
import pytest
from attrs import define, field, frozen

from esruntime.auth import PERMISSIONS
from esruntime.events import Event, SequencedEvent
from esruntime.handlers import Decision, Emit, PythonHandler
from esruntime.protocols import EventStore
from esruntime.runtime import Runtime
from esruntime.web import Limits
from tests.commands.bank import SCHEMA, Deposit, OpenAccount, TransferFunds

with warnings.catch_warnings():  # starlette's TestClient asks for httpx2, which is not needed
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient as TestClient

ON_EACH_BACKEND = pytest.mark.parametrize("bank", ["memory", "umadb"], indirect=True)
"""A module's ``pytestmark``: its tests run with the bank in memory and on a UmaDB server."""

BANK_SCHEMA = SCHEMA + "\nevent Counted { @counter_id: String }\n"
TENANTS = ("acme", "globex")


class Broken(PythonHandler):
    """Emits an event its manifest does not declare: a handler fault."""

    name = "broken"
    reads = {"Deposited": ["account_id"]}
    emits = ["Deposited"]

    def apply(self, event: SequencedEvent) -> None:
        pass

    def handle(self, command: dict[str, Any]) -> Decision:
        return [Emit("AccountOpened", {"account_id": "x", "owner": "y"})]


class Crashing(PythonHandler):
    """Raises an ordinary exception: a handler fault."""

    name = "crashing"
    reads = {"Deposited": ["account_id"]}

    def apply(self, event: SequencedEvent) -> None:
        pass

    def handle(self, command: dict[str, Any]) -> Decision:
        raise RuntimeError("the handler crashed")


def contended(store: EventStore) -> type[PythonHandler]:
    """A handler whose every decision is overtaken by a concurrent deposit: it conflicts."""

    class Contended(PythonHandler):
        name = "contended"
        reads = {"Deposited": ["account_id"]}
        input_domain_ids = {"account_id": "account_id"}
        emits = ["Deposited"]

        def apply(self, event: SequencedEvent) -> None:
            pass

        def handle(self, command: dict[str, Any]) -> Decision:
            data = {"account_id": command["account_id"], "amount": 1.0}
            tags = [f"account_id:{command['account_id']}"]
            store.append(Event("Deposited", data, tags))
            return [Emit("Deposited", data)]

    return Contended


def bank_runtime(url: str = "memory://", **options: Any) -> tuple[Runtime, dict[str, str]]:
    """A runtime with the bank in two tenants, and API keys by name: ``acme`` (admin),
    ``globex`` (admin), ``acme:<permission>`` (that one only), ``acme:none``. ``options`` go
    to ``Runtime.from_url``."""
    runtime = Runtime.from_url(url, max_retries=2, **options)
    for handler in (OpenAccount, Deposit, TransferFunds, Broken, Crashing):
        runtime.register(handler)
    keys = {}
    for name in TENANTS:
        tenant = runtime.tenant(name)
        tenant.schema_registry.push(BANK_SCHEMA)
        tenant.register(contended(tenant.store))
        keys[name] = runtime.api_keys.create(name, f"{name} admin", ["admin"]).secret
    for permission in PERMISSIONS:
        keys[f"acme:{permission}"] = runtime.api_keys.create(
            "acme", permission, [permission]
        ).secret
    keys["acme:none"] = runtime.api_keys.create("acme", "nothing", []).secret
    return runtime, keys


@frozen
class Reply:
    """A response, whichever adapter sent it."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def error(self) -> dict[str, str]:
        error: dict[str, str] = self.json()["error"]
        assert error["request_id"] == self.headers["x-request-id"]
        return error


Send = Callable[[str, str, bytes | Iterable[bytes], dict[str, str]], Reply]


@define
class Client:
    """Requests to one adapter's app, authenticated as ``key`` (a name of ``keys``) by default."""

    adapter: str
    send: Send = field(repr=False)
    keys: dict[str, str] = field(repr=False)
    runtime: Runtime = field(repr=False)
    prefix: str = "/v1"

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | str | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        key: str | None = "acme",
        content_type: str | None = None,
    ) -> Reply:
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        if key is not None:
            sent.setdefault("authorization", f"Bearer {self.keys[key]}")
        body: bytes | Iterable[bytes] = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent.setdefault("content-type", "application/json")
        elif isinstance(content, str):
            body = content.encode()
        elif content is not None:
            body = content
        if content_type is not None:
            sent["content-type"] = content_type
        reply = self.send(method, self.prefix + path, body, sent)
        check_documented(method, path, reply)
        return reply

    def get(self, path: str, **options: Any) -> Reply:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> Reply:
        return self.request("POST", path, **options)

    def put(self, path: str, **options: Any) -> Reply:
        return self.request("PUT", path, **options)

    def delete(self, path: str, **options: Any) -> Reply:
        return self.request("DELETE", path, **options)

    def command(self, name: str, body: Any, **options: Any) -> Reply:
        return self.post(f"/commands/{name}", json_body=body, **options)


def fastapi_sender(app: Any) -> Send:
    client = TestClient(app, raise_server_exceptions=False)

    def send(
        method: str, path: str, body: bytes | Iterable[bytes], headers: dict[str, str]
    ) -> Reply:
        response = client.request(method, path, content=body, headers=headers)
        return Reply(response.status_code, dict(response.headers), response.content)

    return send


def flask_sender(app: Any) -> Send:
    client = app.test_client()

    def send(
        method: str, path: str, body: bytes | Iterable[bytes], headers: dict[str, str]
    ) -> Reply:
        data = body if isinstance(body, bytes) else b"".join(body)
        environ = {} if "content-type" in headers else {"CONTENT_TYPE": ""}
        response = client.open(
            path, method=method, data=data, headers=headers, environ_overrides=environ
        )
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return Reply(response.status_code, lowered, response.get_data())

    return send


def make_client(
    adapter: str, runtime: Runtime, keys: dict[str, str], limits: Limits | None = None
) -> Client:
    if adapter == "fastapi":
        from esruntime.contrib.fastapi import create_app as create_fastapi_app

        return Client(
            adapter, fastapi_sender(create_fastapi_app(runtime, limits=limits)), keys, runtime
        )
    from esruntime.contrib.flask import create_app as create_flask_app

    return Client(adapter, flask_sender(create_flask_app(runtime, limits=limits)), keys, runtime)


# -- the OpenAPI document, and every reply checked against it ---------------------------------

_document: dict[str, Any] | None = None


def openapi_document() -> dict[str, Any]:
    global _document
    if _document is None:
        from esruntime.contrib.fastapi import create_app as create_fastapi_app

        _document = create_fastapi_app(Runtime()).openapi()
    return _document


def _operation(method: str, path: str) -> dict[str, Any] | None:
    bare = path.split("?")[0]
    for template, operations in openapi_document()["paths"].items():
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template.removeprefix("/v1")))
        if re.fullmatch(pattern, bare) and method.lower() in operations:
            operation: dict[str, Any] = operations[method.lower()]
            return operation
    return None


def check_documented(method: str, path: str, reply: Reply) -> None:
    """The reply's status is documented for its route, and its body matches the schema."""
    operation = _operation(method, path)
    if operation is None:
        return  # no route: the API's own 404 / 405
    documented = operation["responses"].get(str(reply.status))
    assert documented is not None, f"{method} {path}: status {reply.status} is not documented"
    media = reply.headers["content-type"].split(";")[0]
    content = documented["content"]
    assert media in content, f"{method} {path} {reply.status}: {media} is not documented"
    if media == "application/json":
        jsonschema_rs.validate(content[media]["schema"], reply.json())
