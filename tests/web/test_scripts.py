"""The scripts JSON API through both adapters: every route, its errors, permissions and tenants.

Every reply is checked against the OpenAPI document by the test client (tests/web/apps.py).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.web.apps import Client

HELLO = "return {greeting: 'hello ' + context.input.name};"


def create(client: Client, key: str = "acme", **fields: Any) -> dict[str, Any]:
    body = {"name": f"script {uuid.uuid4().hex[:8]}", "type": "oneoff", "source": HELLO} | fields
    reply = client.post("/scripts", json_body=body, key=key)
    assert reply.status == 201, reply.text
    created: dict[str, Any] = reply.json()
    assert reply.headers["location"] == f"/v1/scripts/{created['id']}"
    return created


def test_a_script_is_created_read_listed_changed_and_deleted(client: Client) -> None:
    script = create(client, name="greeter", description="says hello")
    assert script["version"] == 1
    assert script["status"] == "draft"
    assert script["source"] == HELLO
    assert script["created_by"] == "acme admin"
    assert script["limits"]["max_execution_time_ms"] == 30_000

    got = client.get(f"/scripts/{script['id']}").json()
    assert got == script

    listed = client.get("/scripts").json()
    assert [s["name"] for s in listed["scripts"]] == ["greeter"]
    assert "source" not in listed["scripts"][0]
    assert (listed["total"], listed["page"], listed["per_page"], listed["pages"]) == (1, 1, 20, 1)

    changed = client.put(
        f"/scripts/{script['id']}",
        json_body={"source": "return 1;", "limits": {"max_output_bytes": 4096}},
    ).json()
    assert changed["version"] == 2
    assert changed["description"] == "says hello"
    assert changed["limits"]["max_output_bytes"] == 4096
    assert changed["limits"]["max_execution_time_ms"] == 30_000

    deleted = client.delete(f"/scripts/{script['id']}")
    assert deleted.json() == {"id": script["id"], "status": "deleted"}
    assert client.get(f"/scripts/{script['id']}").error["code"] == "script_not_found"
    assert client.delete(f"/scripts/{script['id']}").status == 404


def test_listing_filters_searches_and_pages(client: Client) -> None:
    for index in range(5):
        create(client, name=f"job {index}", status="active" if index % 2 else "draft")
    create(client, name="the hook", type="http", http_path="/h", http_methods=["POST"])
    create(client, name="other", description="mentions JOB in its description")

    def names(query: str) -> list[str]:
        return [s["name"] for s in client.get(f"/scripts?{query}").json()["scripts"]]

    assert names("type=http") == ["the hook"]
    assert names("status=active") == ["job 1", "job 3"]
    assert names("search=job") == ["job 0", "job 1", "job 2", "job 3", "job 4", "other"]
    assert names("search=job&per_page=2&page=2") == ["job 2", "job 3"]
    page = client.get("/scripts?search=job&per_page=4&page=2").json()
    assert (page["total"], page["pages"], len(page["scripts"])) == (6, 2, 2)
    assert names("page=9") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("type=nope", "type"),
        ("status=gone", "status"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1e3", "page"),
        ("per_page=101", "per_page"),
        ("per_page=x", "per_page"),
        ("page=99999999999999999999", "page"),
        ("search=" + "x" * 201, "search"),
        ("search=%00", "search"),
    ],
)
def test_bad_list_queries_name_their_field(client: Client, query: str, field: str) -> None:
    reply = client.get(f"/scripts?{query}")
    assert reply.status == 400
    assert field in reply.error["fields"]


def test_unknown_and_repeated_query_parameters_are_refused(client: Client) -> None:
    assert client.get("/scripts?sort=name").error["code"] == "invalid_request"
    assert client.get("/scripts?page=1&page=2").status == 400


def test_every_invalid_field_is_reported_at_once(client: Client) -> None:
    reply = client.post(
        "/scripts",
        json_body={
            "name": "x",
            "type": "scheduled",
            "source": "",
            "cron_expression": "61 * * * *",
            "timezone": "Mars/Olympus",
            "limits": {"max_memory_bytes": 1, "nope": 3},
            "public": "yes",
        },
    )
    assert reply.status == 400
    fields = reply.error["fields"]
    assert set(fields) == {
        "name",
        "source",
        "cron_expression",
        "timezone",
        "max_memory_bytes",
        "nope",
        "public",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"name": 3, "type": "oneoff", "source": "1"},
        {"name": "abc", "type": ["oneoff"], "source": "1"},
        {"name": "abc", "type": "oneoff", "source": {"code": 1}},
        {
            "name": "abc",
            "type": "http",
            "source": "1",
            "http_path": "no-slash",
            "http_methods": ["GET"],
        },
        {
            "name": "abc",
            "type": "http",
            "source": "1",
            "http_path": "/a/../b",
            "http_methods": ["GET"],
        },
        {"name": "abc", "type": "http", "source": "1", "http_path": "/a", "http_methods": ["BREW"]},
        {
            "name": "abc",
            "type": "http",
            "source": "1",
            "http_path": "/a",
            "http_methods": "GET,BREW",
        },
        {"name": "abc", "type": "event", "source": "1", "event_types": ["has space"]},
        {"name": "abc", "type": "oneoff", "source": "1", "limits": {"max_concurrent_runs": 2.5}},
        {"name": "abc", "type": "oneoff", "source": "1", "limits": []},
        {"name": "abc", "type": "oneoff", "source": "x" * 102_401},
        {"name": "a\u0007c", "type": "oneoff", "source": "1"},
        {"name": "abc", "type": "oneoff", "source": "1", "tenant": "globex"},
        {"name": "abc", "type": "oneoff", "source": "1", "created_by": "someone else"},
    ],
)
def test_invalid_scripts_are_refused_with_their_fields(
    client: Client, body: dict[str, Any]
) -> None:
    reply = client.post("/scripts", json_body=body)
    assert reply.status == 400, reply.text
    assert reply.error["fields"]
    assert client.get("/scripts").json()["total"] == 0
    assert client.get("/scripts", key="globex").json()["total"] == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "invalid_json"),
        (b"{", "invalid_json"),
        (b'{"name": "a", "name": "b"}', "invalid_json"),
        (b"[1, 2]", "invalid_request"),
        (b'"a script"', "invalid_request"),
        (b"\xff\xfe", "invalid_encoding"),
        (b"[" * 100 + b"]" * 100, "invalid_json"),
    ],
)
def test_malformed_bodies_are_refused(client: Client, content: bytes, code: str) -> None:
    for method, path in (("POST", "/scripts"), ("PUT", f"/scripts/{uuid.uuid4()}")):
        reply = client.request(method, path, content=content, content_type="application/json")
        assert (reply.status, reply.error["code"]) == (400, code), reply.text


def test_a_body_must_be_json_and_within_the_limit(client: Client) -> None:
    reply = client.post("/scripts", content=b"name=x", content_type="text/plain")
    assert reply.error["code"] == "invalid_content_type"
    huge = {"name": "big", "type": "oneoff", "source": "x" * (300 * 1024)}
    assert client.post("/scripts", json_body=huge).status == 413


def test_names_and_http_paths_are_unique_per_tenant(client: Client) -> None:
    create(client, name="twice", type="http", http_path="/p", http_methods=["GET"])
    name = client.post("/scripts", json_body={"name": "twice", "type": "oneoff", "source": "1"})
    assert (name.status, name.error["code"]) == (409, "script_conflict")
    assert set(name.error["fields"]) == {"name"}
    path = client.post(
        "/scripts",
        json_body={
            "name": "another",
            "type": "http",
            "source": "1",
            "http_path": "/p",
            "http_methods": ["POST"],
        },
    )
    assert (path.status, set(path.error["fields"])) == (409, {"http_path"})
    other = create(
        client, key="globex", name="twice", type="http", http_path="/p", http_methods=["GET"]
    )
    assert other["name"] == "twice"  # another tenant: no conflict
    renamed = create(client, name="third")
    clash = client.put(f"/scripts/{renamed['id']}", json_body={"name": "twice"})
    assert clash.status == 409


def test_versions_are_listed_read_and_rolled_back(client: Client) -> None:
    script = create(client, source="return 1;")
    for n in (2, 3):
        client.put(f"/scripts/{script['id']}", json_body={"source": f"return {n};"})
    client.put(f"/scripts/{script['id']}", json_body={"description": "no new version"})
    versions = client.get(f"/scripts/{script['id']}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert "source" not in versions[0]
    one = client.get(f"/scripts/{script['id']}/versions/1").json()
    assert one["source"] == "return 1;"

    restored = client.post(f"/scripts/{script['id']}/rollback", json_body={"version": 1}).json()
    assert (restored["version"], restored["source"]) == (4, "return 1;")
    latest = client.get(f"/scripts/{script['id']}/versions/4").json()
    assert latest["restored_from"] == 1
    ran = client.post(f"/scripts/{script['id']}/execute", json_body={}).json()
    assert (ran["output"], ran["script_version"]) == (1, 4)


@pytest.mark.parametrize("body", [{"version": 99}, {"version": 0}])
def test_rolling_back_to_a_missing_version_is_404(client: Client, body: Any) -> None:
    script = create(client)
    assert client.post(f"/scripts/{script['id']}/rollback", json_body=body).status == 404


@pytest.mark.parametrize(
    "body", [{}, {"version": "1"}, {"version": 1.5}, {"version": True}, {"version": 1, "x": 2}]
)
def test_a_rollback_body_is_checked(client: Client, body: Any) -> None:
    script = create(client)
    reply = client.post(f"/scripts/{script['id']}/rollback", json_body=body)
    assert (reply.status, reply.error["code"]) == (400, "invalid_request")


@pytest.mark.parametrize("version", ["x", "-1", "1.0", "99999999999", "%00"])
def test_a_version_that_cannot_exist_is_404(client: Client, version: str) -> None:
    script = create(client)
    reply = client.get(f"/scripts/{script['id']}/versions/{version}")
    assert (reply.status, reply.error["code"]) == (404, "version_not_found")


def test_execute_runs_the_script_and_records_it(client: Client) -> None:
    script = create(client)
    reply = client.post(f"/scripts/{script['id']}/execute", json_body={"name": "ada"})
    execution = reply.json()
    assert reply.status == 200
    assert execution["status"] == "completed"
    assert execution["output"] == {"greeting": "hello ada"}
    assert execution["input"] == {"name": "ada"}
    assert execution["trigger"]["type"] == "api"
    assert execution["user_id"] is not None

    listed = client.get(f"/scripts/{script['id']}/executions").json()
    assert [e["id"] for e in listed["executions"]] == [execution["id"]]
    got = client.get(f"/scripts/{script['id']}/executions/{execution['id']}").json()
    assert got == execution


def test_a_failing_script_answers_its_failed_execution(client: Client) -> None:
    script = create(client, source="const x = null;\nreturn x.y;")
    execution = client.post(f"/scripts/{script['id']}/execute", json_body={}).json()
    assert execution["status"] == "failed"
    assert execution["error"]["name"] == "TypeError"
    assert execution["error"]["line"] == 2
    failed = client.get(f"/scripts/{script['id']}/executions?status=failed").json()
    assert failed["total"] == 1
    assert client.get(f"/scripts/{script['id']}/executions?status=completed").json()["total"] == 0


@pytest.mark.parametrize("body", [b"[]", b"3", b'"x"', b"null"])
def test_execute_takes_a_json_object(client: Client, body: bytes) -> None:
    script = create(client)
    reply = client.post(
        f"/scripts/{script['id']}/execute", content=body, content_type="application/json"
    )
    assert (reply.status, reply.error["code"]) == (400, "invalid_request")


def test_disabled_scripts_do_not_run(client: Client) -> None:
    script = create(client, status="disabled")
    reply = client.post(f"/scripts/{script['id']}/execute", json_body={})
    assert (reply.status, reply.error["code"]) == (409, "script_not_runnable")


def test_execution_listing_pages_and_checks_its_query(client: Client) -> None:
    script = create(client, source="return context.input.n;")
    for n in range(3):
        client.post(f"/scripts/{script['id']}/execute", json_body={"n": n})
    page = client.get(f"/scripts/{script['id']}/executions?offset=1&limit=1").json()
    assert (page["total"], page["offset"], page["limit"], len(page["executions"])) == (3, 1, 1, 1)
    for query in ("limit=0", "limit=101", "offset=-1", "status=done", "limit=a"):
        reply = client.get(f"/scripts/{script['id']}/executions?{query}")
        assert reply.status == 400, query


@pytest.mark.parametrize(
    "script_id", ["nope", "%2e%2e", "a" * 500, str(uuid.uuid4()), "%00", "..%2f..%2fetc"]
)
def test_unknown_and_hostile_ids_are_404(client: Client, script_id: str) -> None:
    for method, path, body in (
        ("GET", f"/scripts/{script_id}", None),
        ("PUT", f"/scripts/{script_id}", {"description": "x"}),
        ("DELETE", f"/scripts/{script_id}", None),
        ("GET", f"/scripts/{script_id}/versions", None),
        ("POST", f"/scripts/{script_id}/rollback", {"version": 1}),
        ("POST", f"/scripts/{script_id}/execute", {}),
        ("GET", f"/scripts/{script_id}/executions", None),
        ("GET", f"/scripts/{script_id}/executions/{script_id}", None),
    ):
        reply = client.request(method, path, json_body=body)
        assert reply.status == 404, (method, path, reply.text)


def test_an_execution_belongs_to_its_script(client: Client) -> None:
    first, second = create(client), create(client)
    execution = client.post(f"/scripts/{first['id']}/execute", json_body={"name": "a"}).json()
    reply = client.get(f"/scripts/{second['id']}/executions/{execution['id']}")
    assert (reply.status, reply.error["code"]) == (404, "execution_not_found")


def test_tenants_never_see_each_others_scripts(client: Client) -> None:
    mine = create(client, name="private")
    ran = client.post(f"/scripts/{mine['id']}/execute", json_body={"name": "a"}).json()
    assert client.get("/scripts", key="globex").json()["total"] == 0
    for method, path, body in (
        ("GET", f"/scripts/{mine['id']}", None),
        ("PUT", f"/scripts/{mine['id']}", {"description": "taken"}),
        ("DELETE", f"/scripts/{mine['id']}", None),
        ("GET", f"/scripts/{mine['id']}/versions", None),
        ("GET", f"/scripts/{mine['id']}/versions/1", None),
        ("POST", f"/scripts/{mine['id']}/rollback", {"version": 1}),
        ("POST", f"/scripts/{mine['id']}/execute", {}),
        ("GET", f"/scripts/{mine['id']}/executions", None),
        ("GET", f"/scripts/{mine['id']}/executions/{ran['id']}", None),
    ):
        assert client.request(method, path, json_body=body, key="globex").status == 404
    assert client.get(f"/scripts/{mine['id']}").json()["description"] == ""


ROUTES = [
    ("GET", "/scripts", None, "scripts.read"),
    ("POST", "/scripts", {"name": "made", "type": "oneoff", "source": "1"}, "scripts.create"),
    ("GET", "/scripts/{id}", None, "scripts.read"),
    ("PUT", "/scripts/{id}", {"description": "x"}, "scripts.update"),
    ("GET", "/scripts/{id}/versions", None, "scripts.read"),
    ("GET", "/scripts/{id}/versions/1", None, "scripts.read"),
    ("POST", "/scripts/{id}/rollback", {"version": 1}, "scripts.update"),
    ("POST", "/scripts/{id}/execute", {}, "scripts.execute"),
    ("GET", "/scripts/{id}/executions", None, "scripts.read"),
    ("DELETE", "/scripts/{id}", None, "scripts.delete"),
]


@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES)
def test_each_route_needs_its_permission(
    client: Client, method: str, path: str, body: Any, permission: str
) -> None:
    script = create(client, name="guarded")
    target = path.replace("{id}", script["id"])
    others = [p for p in ("scripts.read", "scripts.create", "scripts.update",
                          "scripts.delete", "scripts.execute") if p != permission]  # fmt: skip
    for key in [f"acme:{p}" for p in others] + ["acme:none"]:
        reply = client.request(method, target, json_body=body, key=key)
        assert (reply.status, reply.error["code"]) == (403, "forbidden"), key
    assert client.request(method, target, json_body=body, key=None).status == 401
    reply = client.request(method, target, json_body=body, key=f"acme:{permission}")
    assert reply.status in (200, 201), reply.text


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_scripts_and_hooks_on_every_backend(runtime_url: str, adapter: str) -> None:
    from tests.web.apps import bank_runtime, make_client

    runtime, keys = bank_runtime(runtime_url)
    try:
        client = make_client(adapter, runtime, keys)
        script = create(
            client,
            name="stored hook",
            type="http",
            status="active",
            http_path="/stored",
            http_methods=["POST"],
            public=True,
            source="return {n: context.trigger.httpRequest.body.n};",
        )
        auth = {"authorization": f"Bearer {keys['acme']}", "content-type": "application/json"}
        hooked = client.send("POST", "/hooks/stored", b'{"n": 5}', auth)
        assert hooked.json() == {"result": {"n": 5}}
        listed = client.get(f"/scripts/{script['id']}/executions").json()["executions"]
        assert [e["trigger"]["httpRequest"]["body"] for e in listed] == [{"n": 5}]
        assert client.get(f"/scripts/{script['id']}").json()["public"] is True
        assert client.get("/scripts", key="globex").json()["total"] == 0
    finally:
        runtime.close()
