"""Load: 64 concurrent clients transfer between 10 accounts for 30 s against one server (its own
process) on PostgreSQL, then against two servers on one database, each client sending its
repeats to the other one. No 500s, money conserved, no balance below zero, every acknowledged
event stored exactly once, and repeats of an idempotency key never apply twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from attrs import define, field

DURATION = float(os.environ.get("ESRUNTIME_LOAD_SECONDS", "30"))
CLIENTS = 64
ACCOUNTS = [f"acc{n}" for n in range(10)]
OPENING_BALANCE = 1000
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@contextmanager
def bank_server(postgres_url: str, log: Path) -> Iterator[tuple[str, str]]:
    """``(base_url, admin key)`` of a bank server on the test database, in another process.

    A server that does not stop when asked has its threads' stacks dumped (SIGUSR1) into the
    failure, then is killed.
    """
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.load.bank_server", postgres_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    with process.stdout:
        line = process.stdout.readline().split()
        assert len(line) == 2, f"the server did not start (exit code {process.poll()})"
        port, key = line
        try:
            yield f"http://127.0.0.1:{port}/v1", key
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGUSR1)
                time.sleep(1)
                process.kill()
                process.wait()
                pytest.fail(f"the server did not stop when asked:\n{log.read_text()}")


@pytest.fixture
def server(postgres_url: str, postgres_engine: Any, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``(base_url, admin key)`` of one bank server on the emptied test database."""
    with bank_server(postgres_url, tmp_path / "server.log") as served:
        yield served


@pytest.fixture
def two_servers(
    postgres_url: str, postgres_engine: Any, tmp_path: Path
) -> Iterator[tuple[tuple[str, str], tuple[str, str]]]:
    """Two bank servers, each its own process, on the one emptied test database."""
    with (
        bank_server(postgres_url, tmp_path / "first.log") as first,
        bank_server(postgres_url, tmp_path / "second.log") as second,
    ):
        yield first, second


@define
class Tally:
    lock: threading.Lock = field(factory=threading.Lock)
    statuses: Counter[int] = field(factory=Counter)
    acknowledged: dict[str, tuple[str, ...]] = field(factory=dict)  # key -> event ids
    repeats: int = 0
    lost_answers: int = 0
    failures: list[str] = field(factory=list)


def transfer(http: httpx.Client, body: dict[str, Any], key: str, tally: Tally) -> httpx.Response:
    """POST the transfer under ``key`` until it is not a conflict (a conflict records nothing).

    A lost answer (timeout, broken connection) is sent again under the same key, as a real
    client would: the server returns the first result if the transfer was made.
    """
    while True:
        try:
            response = http.post(
                "/commands/transfer_funds", json=body, headers={"X-Idempotency-Key": key}
            )
        except httpx.TransportError:
            with tally.lock:
                tally.lost_answers += 1
            continue
        with tally.lock:
            tally.statuses[response.status_code] += 1
        if response.status_code != 409:
            return response


def client(
    base_urls: tuple[str, str], api_key: str, deadline: float, seed: int, tally: Tally
) -> None:
    """Transfers to ``base_urls[0]``, and repeats of some to ``base_urls[1]``."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {api_key}"}
    with (
        httpx.Client(base_url=base_urls[0], headers=headers, timeout=60) as http,
        httpx.Client(base_url=base_urls[1], headers=headers, timeout=60) as other,
    ):
        while time.monotonic() < deadline:
            source, dest = rng.sample(ACCOUNTS, 2)
            body = {"source_account": source, "dest_account": dest, "amount": rng.randint(1, 40)}
            key = str(uuid.uuid4())
            response = transfer(http, body, key, tally)
            if response.status_code != 200:
                continue
            ids = tuple(event["id"] for event in response.json()["events"])
            with tally.lock:
                tally.acknowledged[key] = ids
            if rng.random() < 0.2:  # the client "lost" the answer and sends the same request again
                again = transfer(other, body, key, tally)
                replayed = tuple(event["id"] for event in again.json().get("events", []))
                with tally.lock:
                    tally.repeats += 1
                    if again.status_code != 200 or replayed != ids:
                        tally.failures.append(f"repeat of {key}: {again.status_code} {replayed}")


def all_events(http: httpx.Client) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = http.post("/events/query", json={"after_position": after, "limit": 1000}).json()
        events.extend(page["events"])
        if not page["has_more"]:
            return events
        after = page["next_position"]


def test_concurrent_transfers_keep_every_invariant(server: tuple[str, str]) -> None:
    base_url, api_key = server
    run_and_check((base_url, base_url), api_key)


def test_two_servers_on_one_database_behave_as_one(
    two_servers: tuple[tuple[str, str], tuple[str, str]],
) -> None:
    (first, api_key), (second, _) = two_servers
    run_and_check((first, second), api_key)


def run_and_check(base_urls: tuple[str, str], api_key: str) -> None:
    """Open the accounts, run the clients (half of them sending to each server, their repeats to
    the other), then check every invariant on the events the first server reads."""
    base_url = base_urls[0]
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        for account in ACCOUNTS:
            opened = {"account_id": account, "owner": "o", "currency": "EUR"}
            assert http.post("/commands/open_account", json=opened).status_code == 200
            deposit = {"account_id": account, "amount": OPENING_BALANCE}
            assert http.post("/commands/deposit", json=deposit).status_code == 200

    tally = Tally()
    deadline = time.monotonic() + DURATION
    pairs = (base_urls, (base_urls[1], base_urls[0]))
    threads = [
        threading.Thread(target=client, args=(pairs[seed % 2], api_key, deadline, seed, tally))
        for seed in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not [status for status in tally.statuses if status >= 500], tally.statuses
    assert set(tally.statuses) <= {200, 409, 422}, tally.statuses
    assert tally.failures == []
    assert len(tally.acknowledged) > CLIENTS, "too little happened to prove anything"
    assert tally.repeats > 0

    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        events = all_events(http)
    ids = Counter(event["id"] for event in events)
    assert max(ids.values()) == 1, "an event id is stored twice"
    acknowledged = [event_id for key_ids in tally.acknowledged.values() for event_id in key_ids]
    assert len(acknowledged) == len(set(acknowledged)) == 2 * len(tally.acknowledged)
    assert set(acknowledged) <= set(ids), "an acknowledged event is missing"
    transfers = [e for e in events if e["data"].get("recipient_id") or e["data"].get("sender_id")]
    assert {e["id"] for e in transfers} == set(acknowledged), "an unacknowledged transfer"

    balances: Counter[str] = Counter()
    for event in events:
        sign = {"ReceivedFunds": 1, "SentFunds": -1}.get(event["type"], 0)
        balances[event["data"]["account_id"]] += sign * event["data"].get("amount", 0)
        assert balances[event["data"]["account_id"]] >= 0, f"overdrawn at {event['position']}"
    assert sum(balances.values()) == OPENING_BALANCE * len(ACCOUNTS)
    assert [e["position"] for e in events] == list(range(1, len(events) + 1))
