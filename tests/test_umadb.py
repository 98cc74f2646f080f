"""The UmaDB backend beyond the contract: its URL, TLS and API keys, its errors, a server killed
under load, subscriptions across a restart, and the runtime's health on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from esruntime import Event, Runtime
from esruntime.backends import open_event_store
from esruntime.backends.umadb import UmaDbEventStore, UmaDbUrl
from esruntime.backends.umadb.backend import UmaDbBackend
from esruntime.errors import ConfigurationError, StoreUnavailableError, SubscriptionTimeout
from esruntime.events import AppendCondition, Query, QueryItem
from tests.umadb_server import UmaDbServer, tls_files

WAIT = 60.0  # an upper bound for a busy machine; every wait ends at its condition


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {WAIT} s")
        time.sleep(0.01)


# -- the URL ---------------------------------------------------------------------------------


def test_the_url_gives_the_address_and_the_clients_options() -> None:
    assert UmaDbUrl.parse("umadb://db.example:50051") == UmaDbUrl("http://db.example:50051")
    parsed = UmaDbUrl.parse(
        "umadb://[::1]:7?ca=/etc/ca.pem&api_key=k%26y&batch_size=500"
        "&database=postgresql%2Bpsycopg%3A%2F%2Fu%40h%2Fdb"
    )
    assert parsed == UmaDbUrl(
        "https://[::1]:7", "/etc/ca.pem", "k&y", 500, "postgresql+psycopg://u@h/db"
    )
    assert UmaDbUrl.parse("umadb://h:1?tls=true").address == "https://h:1"
    assert UmaDbUrl.parse("umadb://h:1?tls=0").address == "http://h:1"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://h:1", "starts with umadb://"),
        ("umadb://h", "umadb://host:port"),
        ("umadb://:5", "umadb://host:port"),
        ("umadb://h:99999", "bad UmaDB URL"),
        ("umadb://h:1/db", "umadb://host:port"),
        ("umadb://user:pw@h:1", "umadb://host:port"),
        ("umadb://h:1?nope=1", "options are"),
        ("umadb://h:1?tls=1&tls=0", "each at most once"),
        ("umadb://h:1?tls=maybe", "true or false"),
        ("umadb://h:1?batch_size=0", "batch_size"),
        ("umadb://h:1?batch_size=-3", "batch_size"),
        ("umadb://h:1?batch_size=" + "9" * 50, "batch_size"),
        ("umadb://h:1?api_key=secret", "only over TLS"),
        ("umadb://h:1?" + "x" * 5000, "at most 4096"),
        ("umadb://h:1?tls", "bad UmaDB URL query"),
    ],
)
def test_a_malformed_url_is_refused_before_connecting(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        UmaDbUrl.parse(url)
    with pytest.raises(ConfigurationError):
        UmaDbEventStore(url)


def test_a_store_needs_a_url_or_a_client_and_fits_umadbs_message_limit() -> None:
    with pytest.raises(ConfigurationError, match="URL or a client"):
        UmaDbEventStore()
    with pytest.raises(ConfigurationError, match="max_event_bytes is at most"):
        UmaDbEventStore("umadb://127.0.0.1:1", max_event_bytes=8 * 1024 * 1024)


def test_no_server_is_a_clear_store_unavailable_error(tmp_path: Path) -> None:
    port = UmaDbServer(tmp_path).port  # free, and nothing listens on it
    with pytest.raises(StoreUnavailableError, match="does not answer") as caught:
        UmaDbEventStore(f"umadb://127.0.0.1:{port}")
    assert f"127.0.0.1:{port}" in str(caught.value)  # for the log; a caller gets the summary
    assert caught.value.summary == "the event store (UmaDB) does not answer; try again"
    with pytest.raises(StoreUnavailableError):
        Runtime.from_url(f"umadb://127.0.0.1:{port}?database=sqlite:///{tmp_path}/r.db")


def test_tls_and_the_api_key(tmp_path: Path) -> None:
    ca, cert, key = tls_files(tmp_path)
    options = ("--tls-cert", str(cert), "--tls-key", str(key), "--api-key", "k-0123456789abcdef")
    server = UmaDbServer(tmp_path / "server", *options).start()
    try:
        store = UmaDbEventStore(f"{server.url}?ca={ca}&api_key=k-0123456789abcdef")
        assert store.append(Event("Opened")) == 1
        store.close()
        with pytest.raises(StoreUnavailableError, match="API key") as refused:
            UmaDbEventStore(f"{server.url}?ca={ca}&api_key=wrong").head()
        assert refused.value.summary == "the event store (UmaDB) refused this server's API key"
        with pytest.raises(StoreUnavailableError, match="API key"):
            UmaDbEventStore(f"{server.url}?ca={ca}").head()
        with pytest.raises(StoreUnavailableError, match="certificate"):
            UmaDbEventStore(f"{server.url}?tls=true&api_key=k-0123456789abcdef")
        with pytest.raises(StoreUnavailableError):  # plain text to a TLS server
            UmaDbEventStore(server.url).head()
    finally:
        server.stop()


# -- the package -----------------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_without_the_umadb_package_the_import_error_names_the_extra() -> None:
    result = run_python(
        "import sys; sys.modules['umadb'] = None\n"
        "try:\n    import esruntime.backends.umadb\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    assert "pip install 'esruntime[umadb]'" in result.stdout, result.stderr


def test_importing_the_backend_keeps_the_processs_sigint_handler() -> None:
    result = run_python(
        "import signal\n"
        "def mine(*args): pass\n"
        "signal.signal(signal.SIGINT, mine)\n"
        "import esruntime.backends.umadb\n"
        "print(signal.getsignal(signal.SIGINT) is mine)\n"
    )
    assert result.stdout.strip() == "True", result.stderr
    assert signal.getsignal(signal.SIGINT) is not None


# -- a server that dies ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_server_killed_under_load_loses_no_acknowledged_event(umadb_server: UmaDbServer) -> None:
    store = open_event_store(umadb_server.url)
    acknowledged: list[str] = []
    failures: list[Exception] = []
    stop = threading.Event()

    def write(writer: int) -> None:
        n = 0
        while not stop.is_set():
            event = Event("Tick", {"w": writer, "n": n}, [f"writer:{writer}"])
            try:
                store.append(event)
                acknowledged.append(event.id)
            except StoreUnavailableError as exc:
                failures.append(exc)
            n += 1

    writers = [threading.Thread(target=write, args=(w,)) for w in range(3)]
    for thread in writers:
        thread.start()
    try:
        wait_for(lambda: len(acknowledged) >= 200, "200 acknowledged appends")
        umadb_server.kill()
        wait_for(lambda: len(failures) >= 3, "appends failing while the server is down")
        before_restart = list(acknowledged)
        assert all("does not answer" in str(exc) for exc in failures)
        with pytest.raises(StoreUnavailableError):
            store.head()
        umadb_server.start()
        wait_for(lambda: len(acknowledged) >= len(before_restart) + 200, "appends resuming")
    finally:
        stop.set()
        for thread in writers:
            thread.join(WAIT)
    stored = [e.id for e in store.read()]
    assert set(acknowledged) <= set(stored)
    assert len(stored) == len(set(stored))  # a failed append left nothing half-written
    assert [e.position for e in store.read()] == sorted(e.position for e in store.read())
    store.close()


def test_a_runtime_served_over_http_rides_out_a_server_restart(
    umadb_server: UmaDbServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """While the server is down: 503 ``store_unavailable`` saying so in a sentence (the details
    logged), StoreUnavailableError in Python, health unreachable. After the restart, a command
    retried with its idempotency key runs once, and one acknowledged before the kill is replayed."""
    import httpx

    from esruntime.contrib.fastapi import create_app
    from tests.web.apps import bank_runtime
    from tests.web.test_servers import serve_uvicorn

    runtime, keys = bank_runtime(
        f"{umadb_server.url}?database=" + quote(f"sqlite:///{tmp_path}/rest.db", safe="")
    )
    acme = {"Authorization": f"Bearer {keys['acme']}"}
    with (
        runtime,
        serve_uvicorn(create_app(runtime)) as base_url,
        httpx.Client(base_url=f"{base_url}/v1", headers=acme, timeout=WAIT) as http,
    ):

        def deposit(key: str, amount: int) -> httpx.Response:
            body = {"account_id": "alice", "amount": amount}
            return http.post("/commands/deposit", json=body, headers={"X-Idempotency-Key": key})

        opened = http.post("/commands/open_account", json={"account_id": "alice", "owner": "A"})
        assert opened.status_code == 200, opened.text
        before = deposit("before", 10)
        assert before.status_code == 200, before.text

        umadb_server.kill()
        down = deposit("during", 20)
        assert down.status_code == 503, down.text
        error = down.json()["error"]
        assert (error["code"], error["message"]) == (
            "store_unavailable",
            "the event store (UmaDB) does not answer; try again",
        )
        logged = [r.getMessage() for r in caplog.records if error["request_id"] in r.getMessage()]
        assert any("the UmaDB server does not answer: " in line for line in logged), logged
        health = http.get("/health", headers={})
        assert (health.status_code, health.json()["umadb"]) == (503, "unreachable")
        deposit_30 = {"account_id": "alice", "amount": 30}
        with pytest.raises(StoreUnavailableError, match="does not answer"):
            runtime.execute("deposit", deposit_30, tenant="acme", idempotency_key="python")

        umadb_server.start()
        wait_for(lambda: http.get("/health", headers={}).status_code == 200, "health")
        retried = deposit("during", 20)
        assert retried.status_code == 200, retried.text
        assert "x-idempotent-replayed" not in retried.headers
        again = deposit("during", 20)
        assert again.headers["x-idempotent-replayed"] == "true"
        assert again.json()["events"] == retried.json()["events"]
        replayed = deposit("before", 10)
        assert replayed.headers["x-idempotent-replayed"] == "true"
        assert replayed.json()["events"] == before.json()["events"]
        ran = runtime.execute("deposit", deposit_30, tenant="acme", idempotency_key="python")
        assert (ran.outcome, ran.replayed) == ("ok", False)
        rerun = runtime.execute("deposit", deposit_30, tenant="acme", idempotency_key="python")
        assert (rerun.replayed, rerun.event_ids) == (True, ran.event_ids)

        deposits = runtime.tenant("acme").store.read(Query([QueryItem(types=("Deposited",))]))
        assert [e.data["amount"] for e in deposits] == [10, 20, 30]  # each ran exactly once
        assert [e.id for e in deposits][1:] == [retried.json()["events"][0]["id"], *ran.event_ids]


def test_a_subscription_reports_a_dead_server_and_resumes_after_a_restart(
    umadb_server: UmaDbServer,
) -> None:
    store = UmaDbEventStore(umadb_server.url)
    store.append([Event("A"), Event("B"), Event("A")])
    ticks = Query([QueryItem(types=("A",))])
    subscription = store.subscribe(ticks)
    assert [subscription.next(timeout=WAIT).position for _ in range(2)] == [1, 3]
    umadb_server.kill()
    with pytest.raises(StoreUnavailableError):
        subscription.next(timeout=WAIT)
    umadb_server.start()
    store.append(Event("A"))
    with store.subscribe(ticks, after=subscription.position) as resumed:
        assert resumed.next(timeout=WAIT).position == 4
        with pytest.raises(SubscriptionTimeout):
            resumed.next(timeout=0.05)
    subscription.close()
    store.close()


def test_closing_the_store_ends_its_subscriptions(umadb_server: UmaDbServer) -> None:
    store = UmaDbEventStore(umadb_server.url)
    subscription = store.subscribe()
    seen: list[int] = []
    consumer = threading.Thread(target=lambda: seen.extend(e.position for e in subscription))
    consumer.start()
    store.append(Event("A"))
    wait_for(lambda: seen == [1], "the event")
    store.close()
    consumer.join(WAIT)
    assert not consumer.is_alive()
    assert subscription.closed


# -- the runtime -----------------------------------------------------------------------------


def test_a_runtime_keeps_events_on_umadb_and_the_rest_in_sql(
    umadb_server: UmaDbServer, tmp_path: Path
) -> None:
    from tests.commands.bank import SCHEMA, OpenAccount
    from tests.web.apps import make_client

    database = f"sqlite:///{tmp_path}/rest.db"
    with Runtime(backend=UmaDbBackend(umadb_server.url, database)) as runtime:
        runtime.register(OpenAccount)
        runtime.push_schema(SCHEMA)
        result = runtime.execute("open_account", {"account_id": "a1", "owner": "Ada"})
        assert result.outcome == "ok"
        assert runtime.tenant().store.get(result.event_ids[0]) is not None
        issued = runtime.api_keys.create("default", "admin", ["admin"])
        client = make_client("fastapi", runtime, {"acme": issued.secret})
        body = client.get("/health").json()
        assert (body["umadb"], body["backend"]) == ("connected", "umadb")
        umadb_server.kill()
        # A store that answered is trusted for a second (esruntime.web.system.PROBE_SECONDS).
        wait_for(lambda: client.get("/health").status == 503, "health to see the server gone")
        assert client.get("/health").json()["umadb"] == "unreachable"
        umadb_server.start()
        wait_for(lambda: client.get("/health").status == 200, "health after a restart")
    # The registries were in SQL: a runtime on SQLite alone finds the schema and the key.
    with Runtime.from_url(database) as sql_only:
        assert sql_only.tenant().current_schema() is not None
        assert sql_only.tenant().store.head() is None  # the events are not there


# -- esruntime serve -------------------------------------------------------------------------


def test_serve_keeps_events_on_umadb_and_the_rest_in_the_database(
    umadb_server: UmaDbServer, tmp_path: Path
) -> None:
    from esruntime.client import Client
    from tests.cli.processes import environment, serve
    from tests.commands.bank import SCHEMA

    served = serve("--event-store-url", umadb_server.url, cwd=tmp_path)
    try:
        assert served.admin_key is not None
        assert served.lines[-1].endswith(
            f"(database sqlite:///esruntime.db, events {umadb_server.url})"
        )
        with Client(served.url, api_key=served.admin_key) as client:
            health = client.health()
            assert health.details["umadb"] == "connected"
            assert health.details["backend"] == "umadb"
            client.push_schema(SCHEMA)
        assert (tmp_path / "esruntime.db").exists()  # keys and schemas: SQLite by default
    finally:
        assert served.stop() == 130  # Ctrl-C still stops it: the umadb package's handler is gone
    assert "Traceback" not in served.errors
    assert UmaDbEventStore(umadb_server.url).head() is None  # a schema is no event
    env = environment(ESRUNTIME_EVENT_STORE_URL=umadb_server.url)
    again = serve(cwd=tmp_path, env=env)
    try:
        assert again.admin_key is None  # the key is in the same SQLite database
    finally:
        again.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--event-store-url", "postgresql://h/db"), "takes a umadb://host:port URL"),
        (("--event-store-url", "umadb://h:1?nope=1"), "options are"),
        (("--event-store-url", "umadb://h:1", "--database-url", "memory://"), "SQL"),
    ],
)
def test_serve_refuses_a_bad_event_store_url(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    from tests.cli.processes import run

    result = run("serve", "--port", "0", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_says_when_no_umadb_server_answers(tmp_path: Path) -> None:
    from tests.cli.processes import run

    port = UmaDbServer(tmp_path).port
    result = run(
        "serve", "--port", "0", "--event-store-url", f"umadb://127.0.0.1:{port}", cwd=tmp_path
    )
    assert result.returncode == 5
    assert "does not answer" in result.stderr


# -- a tenant's first append -----------------------------------------------------------------


def test_racing_first_appends_of_a_tenant_register_it_once(umadb_server: UmaDbServer) -> None:
    """Stores with clients of their own race on a new tenant, while another tenant writes."""
    from esruntime.errors import IntegrityError

    other = UmaDbEventStore(umadb_server.url, "busy")
    stores = [UmaDbEventStore(umadb_server.url, "fresh") for _ in range(6)]
    claimed = Query([QueryItem(types=("Claimed",), tags=("seat:1",))])
    barrier = threading.Barrier(len(stores) + 1)
    outcomes: list[str] = []

    def claim(store: UmaDbEventStore) -> None:
        barrier.wait()
        try:
            store.append(Event("Claimed", tags=["seat:1"]), AppendCondition(claimed))
            outcomes.append("won")
        except IntegrityError:
            outcomes.append("lost")

    def noise() -> None:
        barrier.wait()
        for n in range(50):
            other.append(Event("Noise", {"n": n}))

    threads = [threading.Thread(target=claim, args=(s,)) for s in stores]
    threads.append(threading.Thread(target=noise))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert sorted(outcomes) == ["lost"] * (len(stores) - 1) + ["won"]
    seen = {tuple(e.id for e in store.read()) for store in stores}
    assert len(seen) == 1
    assert len(seen.pop()) == 1
    assert UmaDbEventStore(umadb_server.url, "fresh").count("Claimed") == 1
    assert other.type_counts() == {"Noise": 50}
    for store in [*stores, other]:
        store.close()


def test_a_subscription_made_before_the_tenants_first_event_receives_it(
    umadb_server: UmaDbServer,
) -> None:
    store = UmaDbEventStore(umadb_server.url, "later")
    with store.subscribe() as subscription:
        with pytest.raises(SubscriptionTimeout):
            subscription.next(timeout=0.05)
        UmaDbEventStore(umadb_server.url, "elsewhere").append(Event("Other"))
        store.append(Event("First"))
        assert subscription.next(timeout=WAIT).type == "First"
    assert store.read().head == 2
