"""The FastAPI adapter behind uvicorn on a real socket: its own few threads run the API's calls,
concurrent commands each land once, a slow request holds up no other client, and a key revoked
through the runtime is refused at its next request although keys are remembered for a while."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from esruntime.contrib.fastapi import create_app
from esruntime.contrib.fastapi.threads import ApiThreads
from esruntime.handlers import Decision
from esruntime.runtime import Runtime
from esruntime.web import system
from tests.commands.bank import Deposit
from tests.web.apps import bank_runtime
from tests.web.test_servers import serve_uvicorn

WAIT = 60  # seconds: an upper bound for a busy machine; every wait below ends at its event


class Slow(Deposit):
    """A deposit that waits until the test lets it go: a request as long as the test wants."""

    name = "slow"
    entered = threading.Event()
    release = threading.Event()

    def handle(self, command: dict[str, Any]) -> Decision:
        Slow.entered.set()
        assert Slow.release.wait(WAIT), "the test never released the slow command"
        return super().handle(command)


@pytest.fixture
def bank(tmp_path: Any) -> Iterator[tuple[Runtime, dict[str, str]]]:
    runtime, keys = bank_runtime(f"sqlite:///{tmp_path}/serving.db")
    runtime.register(Slow)
    yield runtime, keys
    runtime.close()


@pytest.fixture
def base_url(bank: tuple[Runtime, dict[str, str]]) -> Iterator[str]:
    with serve_uvicorn(create_app(bank[0], threads=2)) as url:
        yield url + "/v1"


def http(base_url: str, key: str) -> httpx.Client:
    auth = {"Authorization": f"Bearer {key}"}
    return httpx.Client(base_url=base_url, headers=auth, timeout=WAIT)


def test_concurrent_deposits_over_http_land_exactly_once_each(
    base_url: str, bank: tuple[Runtime, dict[str, str]]
) -> None:
    runtime, keys = bank
    accounts = [f"acct-{n}" for n in range(4)]
    with http(base_url, keys["acme"]) as client:
        for account in accounts:
            opened = client.post(
                "/commands/open_account", json={"account_id": account, "owner": "o"}
            )
            assert opened.status_code == 200

    def deposit_many(worker: int) -> list[int]:
        with http(base_url, keys["acme"]) as client:
            return [
                client.post(
                    "/commands/deposit",
                    json={"account_id": accounts[(worker + n) % len(accounts)], "amount": 1},
                ).status_code
                for n in range(10)
            ]

    with ThreadPoolExecutor(8) as clients:  # more clients than the server has threads
        statuses = [s for batch in clients.map(deposit_many, range(8)) for s in batch]
    assert statuses == [200] * 80
    events = runtime.tenant("acme").store.read().events
    deposited = [event for event in events if event.type == "Deposited"]
    assert len(deposited) == 80
    assert len({event.id for event in deposited}) == 80
    by_account = {a: sum(1 for e in deposited if e.data["account_id"] == a) for a in accounts}
    assert by_account == dict.fromkeys(accounts, 20)


def test_a_slow_request_does_not_hold_up_another_client(
    base_url: str, bank: tuple[Runtime, dict[str, str]]
) -> None:
    _, keys = bank
    Slow.entered.clear()
    Slow.release.clear()
    with http(base_url, keys["acme"]) as client:
        client.post("/commands/open_account", json={"account_id": "a", "owner": "o"})
    slow_status: list[int] = []

    def slow_request() -> None:
        with http(base_url, keys["acme"]) as client:
            body = {"account_id": "a", "amount": 5}
            slow_status.append(client.post("/commands/slow", json=body).status_code)
        Slow.entered.set()  # an answer that came at once ends the wait below, and fails

    slow = threading.Thread(target=slow_request)
    slow.start()
    try:
        assert Slow.entered.wait(WAIT), "the slow command never started"
        with http(base_url, keys["acme"]) as other:
            for _ in range(20):  # the slow one holds one of the server's two threads meanwhile
                assert other.get("/health").status_code == 200
                deposit = other.post("/commands/deposit", json={"account_id": "a", "amount": 1})
                assert deposit.status_code == 200
        assert not slow_status, "the slow request ended too soon to tell"
    finally:
        Slow.release.set()
        slow.join(WAIT)
    assert slow_status == [200]


def test_a_key_revoked_through_the_runtime_is_refused_at_its_next_request(
    base_url: str, bank: tuple[Runtime, dict[str, str]]
) -> None:
    runtime, _ = bank
    issued = runtime.api_keys.create("acme", "soon revoked", ["handlers.read"])
    with http(base_url, issued.secret) as client:
        for _ in range(3):  # remembered after the first
            assert client.get("/handlers").status_code == 200
        assert runtime.api_keys.revoke(issued.key.key_id)
        refused = client.get("/handlers")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"


def test_the_api_threads_run_calls_with_the_callers_context_the_last_idle_thread_first() -> None:
    seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="none")
    threads = ApiThreads(3)

    def name() -> str:
        return threading.current_thread().name

    def fail() -> None:
        raise KeyError("from the thread")

    async def calls() -> tuple[str, list[str], set[str]]:
        seen.set("caller")
        one_after_another = [await threads.run(name) for _ in range(5)]
        both = threading.Barrier(2, timeout=WAIT)  # two calls that must run at once

        def meet() -> str:
            both.wait()
            return name()

        together = set(await asyncio.gather(threads.run(meet), threads.run(meet)))
        with pytest.raises(KeyError, match="from the thread"):
            await threads.run(fail)
        return await threads.run(seen.get), one_after_another, together

    try:
        context, one_after_another, together = asyncio.run(calls())
    finally:
        threads.close()
    assert context == "caller"
    assert one_after_another == ["esruntime-api_0"] * 5  # one thread: its connection stays warm
    assert len(together) == 2
    with pytest.raises(ValueError, match="at least one thread"):
        ApiThreads(0)


def test_a_health_check_from_a_recent_probe_needs_no_thread(
    bank: tuple[Runtime, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(system, "PROBE_SECONDS", 3600.0)  # the probe stays recent all along
    runtime, keys = bank
    Slow.entered.clear()
    Slow.release.clear()
    with serve_uvicorn(create_app(runtime, threads=1)) as url:
        with http(url + "/v1", keys["acme"]) as client:
            client.post("/commands/open_account", json={"account_id": "a", "owner": "o"})
            assert client.get("/health").json()["store"] == "connected"  # the probe
        slow_status: list[int] = []

        def slow_request() -> None:
            with http(url + "/v1", keys["acme"]) as client:
                body = {"account_id": "a", "amount": 5}
                slow_status.append(client.post("/commands/slow", json=body).status_code)
            Slow.entered.set()

        slow = threading.Thread(target=slow_request)
        slow.start()
        try:
            assert Slow.entered.wait(WAIT), "the slow command never started"
            with http(url + "/v1", keys["acme"]) as other:  # the only API thread is taken
                for _ in range(5):
                    assert other.get("/health").json()["status"] == "healthy"
            assert not slow_status, "the slow request ended too soon to tell"
        finally:
            Slow.release.set()
            slow.join(WAIT)
        assert slow_status == [200]
