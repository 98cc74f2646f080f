"""HTTP-triggered scripts through both adapters: what a script answers, and every refusal
(401, 403, 404, 405, 413, 429, 504) before or instead of a run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from esruntime.runtime import Runtime
from esruntime.web.hooks import Hooks
from tests.web.apps import Reply, Send, bank_runtime, fastapi_sender, flask_sender

ECHO = "return {status: 200, body: context.trigger.httpRequest};"


class Hook:
    """Requests to one adapter's app below ``/hooks``, and scripts made over the API."""

    def __init__(self, send: Send, runtime: Runtime, keys: dict[str, str]) -> None:
        self.send = send
        self.runtime = runtime
        self.keys = keys

    def script(self, source: str, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
        body = {
            "name": f"hook {uuid.uuid4().hex[:8]}",
            "type": "http",
            "status": "active",
            "source": source,
            "http_path": f"/{uuid.uuid4().hex[:8]}",
            "http_methods": ["POST", "GET"],
        } | fields
        headers = {
            "authorization": f"Bearer {self.keys[tenant]}",
            "content-type": "application/json",
        }
        reply = self.send("POST", "/v1/scripts", json.dumps(body).encode(), headers)
        assert reply.status == 201, reply.body
        created: dict[str, Any] = reply.json()
        return created

    def call(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        *,
        key: str | None = "acme",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        if key is not None:
            sent.setdefault("authorization", f"Bearer {self.keys[key]}")
        return self.send(method, "/hooks" + path, body, sent)


def _app(adapter: str, runtime: Runtime, **options: Any) -> Send:
    if adapter == "fastapi":
        from esruntime.contrib.fastapi import create_app as fastapi_app

        return fastapi_sender(fastapi_app(runtime, **options))
    from esruntime.contrib.flask import create_app as flask_app

    return flask_sender(flask_app(runtime, **options))


@pytest.fixture(params=["fastapi", "flask"])
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def bank() -> Iterator[tuple[Runtime, dict[str, str]]]:
    runtime, keys = bank_runtime()
    yield runtime, keys
    runtime.close()


@pytest.fixture
def hook(adapter: str, bank: tuple[Runtime, dict[str, str]]) -> Hook:
    runtime, keys = bank
    return Hook(_app(adapter, runtime), runtime, keys)


def test_the_script_sees_the_request_and_shapes_the_response(hook: Hook) -> None:
    script = hook.script(
        "const r = context.trigger.httpRequest;\n"
        "return {status: 201, headers: {'X-Seen': r.method + ' ' + r.path, 'Set-Cookie': 'a=b'},"
        " body: {query: r.query, body: r.body, type: context.trigger.type,"
        " auth: r.headers.authorization || null, custom: r.headers['x-custom']}};"
    )
    reply = hook.call(
        "POST",
        script["http_path"] + "?a=1&b=2&b=3",
        b'{"order": 7}',
        headers={"content-type": "application/json", "x-custom": "yes"},
    )
    assert reply.status == 201, reply.body
    assert reply.headers["x-seen"] == f"POST /hooks{script['http_path']}"
    assert reply.headers["set-cookie"] == "a=b"
    assert reply.headers["content-type"] == "application/json"
    assert "x-request-id" in reply.headers
    assert reply.json() == {
        "query": {"a": "1", "b": ["2", "3"]},
        "body": {"order": 7},
        "type": "http",
        "auth": None,  # the caller's API key is not the script's to see
        "custom": "yes",
    }
    executions = hook.runtime.scripts.executions(script["id"], tenant="acme")
    assert [e.trigger.type for e in executions.items] == ["http"]
    assert executions.items[0].trigger.http_request["body"] == {"order": 7}  # type: ignore[index]


@pytest.mark.parametrize(
    ("source", "status", "content_type", "body"),
    [
        ("return {answer: 42};", 200, "application/json", b'{"result":{"answer":42}}'),
        ("return 'plain';", 200, "application/json", b'{"result":"plain"}'),
        ("return null;", 200, "application/json", b'{"result":null}'),
        ("return {status: 202};", 202, None, b""),
        ("return {status: 204, headers: {'X-A': 'b'}};", 204, None, b""),
        ("return {status: 200, body: 'hi'};", 200, "text/plain; charset=utf-8", b"hi"),
        (
            "return {status: 400, headers: {'Content-Type': 'text/csv'}, body: 'a,b'};",
            400,
            "text/csv",
            b"a,b",
        ),
        ("return {status: 200, body: [1, 2]};", 200, "application/json", b"[1,2]"),
        # More keys than the shape: a plain result.
        (
            "return {status: 200, extra: 1};",
            200,
            "application/json",
            b'{"result":{"status":200,"extra":1}}',
        ),
    ],
)
def test_every_result_shape_answers_as_documented(
    hook: Hook, source: str, status: int, content_type: str | None, body: bytes
) -> None:
    script = hook.script(source)
    reply = hook.call("GET", script["http_path"])
    assert reply.status == status, reply.body
    if content_type is not None:  # Starlette adds the charset of a text type: UTF-8
        assert (
            reply.headers["content-type"].replace(" ", "").startswith(content_type.replace(" ", ""))
        )
    assert reply.body == body


@pytest.mark.parametrize(
    "shaped",
    [
        "{status: 99}",
        "{status: 600}",
        "{status: '200'}",
        "{status: 200.5}",
        "{status: true}",
        "{status: 200, headers: 'x'}",
        "{status: 200, headers: {'Bad Name': 'x'}}",
        "{status: 200, headers: {'X-A': 'line\\r\\nInjected: 1'}}",
        "{status: 200, headers: {'Content-Length': '1'}}",
        "{status: 200, headers: {'Transfer-Encoding': 'chunked'}}",
        "{status: 200, headers: {'X-A': {nested: 1}}}",
        "{status: 204, body: 'not allowed'}",
    ],
)
def test_a_badly_shaped_response_is_a_500_naming_the_problem(hook: Hook, shaped: str) -> None:
    script = hook.script(f"return {shaped};")
    reply = hook.call("GET", script["http_path"])
    assert reply.status == 500
    body = reply.json()
    assert body["error"].startswith("the script's response is invalid")
    assert "injected" not in reply.headers
    execution = hook.runtime.scripts.execution(body["executionId"], tenant="acme")
    assert execution.script_id == script["id"]


def test_a_failing_script_is_a_500_with_its_execution(hook: Hook) -> None:
    script = hook.script("throw new RangeError('no such order');")
    reply = hook.call("POST", script["http_path"])
    assert reply.status == 500
    body = reply.json()
    assert set(body) == {"error", "executionId"}
    assert body["error"].startswith("RangeError: no such order")
    execution = hook.runtime.scripts.execution(body["executionId"], tenant="acme")
    assert execution.status == "failed"


def test_a_script_over_its_time_is_a_504(hook: Hook) -> None:
    script = hook.script("while (true) {}", limits={"max_execution_time_ms": 1000})
    reply = hook.call("GET", script["http_path"])
    assert reply.status == 504
    body = reply.json()
    assert hook.runtime.scripts.execution(body["executionId"], tenant="acme").status == "timeout"


def test_an_undeclared_method_is_a_405_with_allow(hook: Hook) -> None:
    script = hook.script(ECHO, http_methods=["POST", "PUT"])
    for method in ("GET", "DELETE", "PATCH", "OPTIONS"):
        reply = hook.call(method, script["http_path"])
        assert reply.status == 405, method
        assert reply.headers["allow"] == "POST, PUT"
    assert hook.runtime.scripts.executions(script["id"], tenant="acme").total == 0


def test_a_body_over_the_limit_is_a_413_and_never_runs(hook: Hook) -> None:
    script = hook.script(ECHO)
    reply = hook.call("POST", script["http_path"], b"x" * (256 * 1024 + 1))
    assert (reply.status, reply.error["code"]) == (413, "body_too_large")
    streamed = hook.call("POST", script["http_path"], iter([b"x" * 65536] * 5))  # type: ignore[arg-type]
    assert streamed.status == 413
    assert hook.call("POST", script["http_path"], b"x" * (256 * 1024)).status == 200
    assert hook.runtime.scripts.executions(script["id"], tenant="acme").total == 1


def test_the_body_limit_is_the_hosts(adapter: str, bank: tuple[Runtime, dict[str, str]]) -> None:
    runtime, keys = bank
    hook = Hook(_app(adapter, runtime, hooks=Hooks(runtime, max_body_bytes=16)), runtime, keys)
    script = hook.script(ECHO)
    assert hook.call("POST", script["http_path"], b"x" * 17).status == 413
    assert hook.call("POST", script["http_path"], b"x" * 16).json()["body"] == "x" * 16


def test_requests_beyond_the_scripts_rate_are_429_with_retry_after(hook: Hook) -> None:
    script = hook.script(ECHO, limits={"max_http_requests_per_minute": 2})
    assert [hook.call("GET", script["http_path"]).status for _ in range(2)] == [200, 200]
    refused = hook.call("GET", script["http_path"])
    assert (refused.status, refused.error["code"]) == (429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    other = hook.script(ECHO)
    assert hook.call("GET", other["http_path"]).status == 200  # per script
    assert hook.runtime.scripts.executions(script["id"], tenant="acme").total == 2


def test_a_caller_needs_a_key_with_scripts_execute(hook: Hook) -> None:
    script = hook.script(ECHO)
    path = script["http_path"]
    missing = hook.call("GET", path, key=None)
    assert (missing.status, missing.headers["www-authenticate"]) == (
        401,
        'Bearer realm="esruntime"',
    )
    bad = hook.call("GET", path, key=None, headers={"authorization": "Bearer esr_nope"})
    assert bad.status == 401
    for key in ("acme:scripts.read", "acme:none", "acme:commands.execute"):
        assert hook.call("GET", path, key=key).status == 403, key
    assert hook.call("GET", path, key="acme:scripts.execute").status == 200
    assert hook.runtime.scripts.executions(script["id"], tenant="acme").total == 1


def test_an_anonymous_caller_learns_nothing_of_private_paths(hook: Hook) -> None:
    hook.script(ECHO, tenant="acme", http_path="/secret")
    for path in ("/secret", "/no-such-path"):
        assert hook.call("GET", path, key=None).status == 401


def test_a_public_script_runs_without_a_key(hook: Hook) -> None:
    hook.runtime.scripts.create(
        tenant="default",
        name="public hook",
        type="http",
        status="active",
        source="return {auth: context.trigger.httpRequest.headers.authorization || null};",
        http_path="/open",
        http_methods=["POST"],
        public=True,
    )
    reply = hook.call("POST", "/open", key=None)
    assert reply.json() == {"result": {"auth": None}}
    # A header that is no API key of the server is the script's business.
    signed = hook.call("POST", "/open", key=None, headers={"authorization": "Signature abc"})
    assert signed.json() == {"result": {"auth": "Signature abc"}}
    assert hook.call("GET", "/open", key=None).status == 405


def test_public_is_kept_only_for_http_scripts(hook: Hook) -> None:
    script = hook.script(ECHO, public=True)
    assert script["public"] is True
    plain = hook.runtime.scripts.create(
        tenant="acme", name="not a hook", type="oneoff", source="1", public=True
    )
    assert plain.public is False


def test_a_tenant_reaches_only_its_own_scripts(hook: Hook) -> None:
    mine = hook.script("return 'acme';", tenant="acme", http_path="/same")
    hook.script("return 'globex';", tenant="globex", http_path="/same")
    assert hook.call("GET", "/same", key="acme").json() == {"result": "acme"}
    assert hook.call("GET", "/same", key="globex").json() == {"result": "globex"}
    only = hook.script(ECHO, tenant="acme", http_path="/acme-only")
    assert hook.call("GET", only["http_path"], key="globex").status == 404
    assert hook.runtime.scripts.executions(mine["id"], tenant="acme").total == 1


@pytest.mark.parametrize("status", ["draft", "paused", "disabled", "archived"])
def test_only_active_scripts_answer(hook: Hook, status: str) -> None:
    script = hook.script(ECHO, status=status)
    reply = hook.call("GET", script["http_path"])
    assert (reply.status, reply.error["code"]) == (404, "hook_not_found")


@pytest.mark.parametrize(
    "path",
    ["/", "/missing", "/a/../b", "/%2e%2e/%2e%2e/etc/passwd", "/" + "a" * 2000, "/x%00y", "/%ff"],
)
def test_unknown_and_hostile_paths_are_404(hook: Hook, path: str) -> None:
    hook.script(ECHO)
    reply = hook.call("GET", path)
    assert reply.status == 404, reply.body


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b"{", "application/json", "invalid_json"),
        (b'{"a": 1, "a": 2}', "application/json", "invalid_json"),
        (b"[" * 100 + b"]" * 100, "application/json", "invalid_json"),
        (b"\xff\xfe", "text/plain", "invalid_encoding"),
    ],
)
def test_a_malformed_body_is_a_400(hook: Hook, body: bytes, content_type: str, code: str) -> None:
    script = hook.script(ECHO)
    reply = hook.call("POST", script["http_path"], body, headers={"content-type": content_type})
    assert (reply.status, reply.error["code"]) == (400, code)
    assert hook.runtime.scripts.executions(script["id"], tenant="acme").total == 0


def test_text_bodies_reach_the_script_as_text(hook: Hook) -> None:
    script = hook.script(ECHO)
    reply = hook.call(
        "POST",
        script["http_path"],
        b"a=1&b=2",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert reply.json()["body"] == "a=1&b=2"
    assert hook.call("GET", script["http_path"]).json()["body"] is None


def test_hooks_are_mounted_only_when_asked(
    adapter: str, bank: tuple[Runtime, dict[str, str]]
) -> None:
    runtime, keys = bank
    hook = Hook(_app(adapter, runtime, hooks_prefix=None), runtime, keys)
    script = hook.script(ECHO)
    assert hook.call("GET", script["http_path"]).status == 404
    moved = Hook(_app(adapter, runtime, hooks_prefix="/in"), runtime, keys)
    reply = moved.send(
        "GET", "/in" + script["http_path"], b"", {"authorization": f"Bearer {keys['acme']}"}
    )
    assert reply.json()["path"] == "/in" + script["http_path"]


def test_the_hosts_own_authentication_decides(
    adapter: str, bank: tuple[Runtime, dict[str, str]]
) -> None:
    """A host's principal (a FastAPI dependency, or Flask's g.esruntime_principal) replaces
    the API keys for hooks as for the API."""
    from esruntime.auth import Principal

    runtime, _ = bank
    runtime.scripts.create(
        tenant="globex", name="host auth", type="http", status="active", source=ECHO,
        http_path="/host", http_methods=["GET"],
    )  # fmt: skip
    allowed = Principal("globex", frozenset({"scripts.execute"}), "host user")
    denied = Principal("globex", frozenset({"scripts.read"}), "reader")

    def answer(principal: Principal) -> int:
        if adapter == "fastapi":
            from esruntime.contrib.fastapi import create_app as fastapi_app

            send = fastapi_sender(fastapi_app(runtime, principal=lambda: principal))
        else:
            from flask import g

            from esruntime.contrib.flask import create_app as flask_app

            app = flask_app(runtime)

            @app.before_request
            def who() -> None:
                g.esruntime_principal = principal

            send = flask_sender(app)
        return send("GET", "/hooks/host", b"", {}).status

    assert answer(allowed) == 200
    assert answer(denied) == 403


@pytest.mark.parametrize("method", ["BREW", "TRACE", "CONNECT", "HEAD", "OPTIONS"])
def test_methods_no_script_can_take_are_405_and_never_run(hook: Hook, method: str) -> None:
    script = hook.script(ECHO, http_methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    assert hook.call(method, script["http_path"]).status == 405
    assert hook.runtime.scripts.executions(script["id"], tenant="acme").total == 0
