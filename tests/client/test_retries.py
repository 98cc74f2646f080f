"""Conflicts: resent with the same idempotency key, bounded, counted, and nothing lost or doubled.

The live server retries nothing itself (``max_retries=0``), so every conflict reaches the client.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter

import pytest

from esruntime.client import (
    AsyncClient,
    Client,
    CommandConflict,
    CommandOk,
    UnprocessableError,
)
from esruntime.events import Query, QueryItem
from tests.client.conftest import Live
from tests.client.servers import Bank, RawServer, http_answer, new_bank

CONFLICT = b'{"status": "conflict", "message": "Concurrent modification detected, please retry"}'
OK = b'{"status": "ok", "events": [], "position": 7}'


def sent_with(bank: Bank, path: str) -> list[dict[str, str]]:
    """The headers of the requests of this bank's tenant to ``path``."""
    return [
        headers
        for _, p, headers in bank.log.requests
        if p == path and headers.get("authorization") == f"Bearer {bank.key}"
    ]


def deposits(bank: Bank, account: str) -> int:
    query = Query([QueryItem(["Deposited"], [f"account_id:{account}"])])
    return len(bank.store().read(query).events)


def test_a_conflict_is_resent_with_the_same_idempotency_key_until_it_succeeds(live: Live) -> None:
    bank = new_bank(*live, conflicts=2)
    with Client(bank.url, api_key=bank.key, backoff=0.001, max_backoff=0.01) as client:
        result = client.execute("contended", {"account_id": "a1"}, idempotency_key="pay-1")
        assert isinstance(result, CommandOk)
        assert (result.attempts, result.retries) == (3, 2)
        keys = [h.get("x-idempotency-key") for h in sent_with(bank, "/v1/commands/contended")]
        assert keys == ["pay-1", "pay-1", "pay-1"]
        # two concurrent writers' deposits, and the command's own, once
        assert deposits(bank, "a1") == 3

        again = client.execute("contended", {"account_id": "a1"}, idempotency_key="pay-1")
        assert isinstance(again, CommandOk)
        assert again.replayed
        assert (again.event_ids, again.position) == (result.event_ids, result.position)
        assert again.attempts == 1
        assert deposits(bank, "a1") == 3


def test_retries_are_bounded_and_end_in_a_conflict_outcome(live: Live) -> None:
    bank = new_bank(*live, conflicts=None)
    with Client(bank.url, api_key=bank.key, max_retries=2, backoff=0.001) as client:
        result = client.execute("contended", {"account_id": "a1"})
        assert result == CommandConflict(
            "Concurrent modification detected, please retry", retries=2, attempts=3
        )
        assert result.status == "conflict"
        once = client.execute("contended", {"account_id": "a2"}, retries=0)
        assert isinstance(once, CommandConflict)
        assert once.attempts == 1
        assert len(sent_with(bank, "/v1/commands/contended")) == 4


def test_a_key_reused_for_another_input_is_refused(client: Client) -> None:
    client.execute("open_account", {"account_id": "a1", "owner": "x"}, idempotency_key="k")
    with pytest.raises(UnprocessableError) as caught:
        client.execute("open_account", {"account_id": "a2", "owner": "x"}, idempotency_key="k")
    assert caught.value.status == 422
    assert caught.value.code == "idempotency_key_reused"


ACCOUNTS = ("alice", "bob", "carol")


def open_funded(client: Client) -> None:
    for account in ACCOUNTS:
        client.execute("open_account", {"account_id": account, "owner": account})
        client.execute("deposit", {"account_id": account, "amount": 1000})


def balances(bank: Bank) -> dict[str, float]:
    totals = dict.fromkeys(ACCOUNTS, 0.0)
    for event in bank.store().read().events:
        if event.type in ("Deposited", "ReceivedFunds"):
            totals[event.data["account_id"]] += event.data["amount"]
        elif event.type == "SentFunds":
            totals[event.data["account_id"]] -= event.data["amount"]
    return totals


def transfers(count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    chosen = []
    for _ in range(count):
        source, dest = rng.sample(ACCOUNTS, 2)
        chosen.append({"source_account": source, "dest_account": dest, "amount": rng.randint(1, 9)})
    return chosen


def check_conserved(bank: Bank, results: list[CommandOk], sent: list[dict[str, object]]) -> None:
    assert len(results) == len(sent)
    assert sum(balances(bank).values()) == 3000
    events = bank.store().read().events
    counts = Counter(e.type for e in events)
    assert counts["SentFunds"] == counts["ReceivedFunds"] == len(sent)
    stored = {e.id for e in events}
    assert all(set(r.event_ids) <= stored for r in results)
    assert len({i for r in results for i in r.event_ids}) == 2 * len(sent)


def test_concurrent_transfers_conflict_are_retried_and_conserve_the_money(bank: Bank) -> None:
    with Client(bank.url, api_key=bank.key, max_retries=100, backoff=0.001) as client:
        open_funded(client)
        plan = transfers(96, seed=1)
        results: list[CommandOk] = []
        lock = threading.Lock()

        def work(part: list[dict[str, object]], worker: int) -> None:
            for index, command in enumerate(part):
                key = f"transfer-{worker}-{index}"
                result = client.execute("transfer_funds", command, idempotency_key=key)
                assert isinstance(result, CommandOk), result
                with lock:
                    results.append(result)

        threads = [threading.Thread(target=work, args=(plan[i::8], i)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        check_conserved(bank, results, plan)
        assert sum(r.retries for r in results) > 0
        assert all(r.attempts == r.retries + 1 for r in results)
        retried = sum(r.retries for r in results)
        sent = len(sent_with(bank, "/v1/commands/transfer_funds"))
        assert sent == len(plan) + retried


def test_the_async_client_retries_concurrent_transfers_alike(bank: Bank) -> None:
    with Client(bank.url, api_key=bank.key) as client:
        open_funded(client)
    plan = transfers(48, seed=2)

    async def run() -> list[CommandOk]:
        async with AsyncClient(bank.url, api_key=bank.key, max_retries=100, backoff=0.001) as ac:
            outcomes = await asyncio.gather(*(ac.execute("transfer_funds", c) for c in plan))
        assert all(isinstance(r, CommandOk) for r in outcomes)
        return [r for r in outcomes if isinstance(r, CommandOk)]

    results = asyncio.run(run())
    check_conserved(bank, results, plan)
    assert sum(r.retries for r in results) > 0


def test_retries_add_up_the_servers_and_the_clients() -> None:
    answers = [
        http_answer(409, CONFLICT, headers={"X-Retry-Count": "2"}),
        http_answer(409, CONFLICT, headers={"X-Retry-Count": "2"}),
        http_answer(200, OK, headers={"X-Retry-Count": "1"}),
    ]
    requests: list[bytes] = []

    def script(request: bytes) -> bytes:
        requests.append(request)
        return answers[len(requests) - 1]

    server = RawServer(script)
    try:
        with Client(server.url, backoff=0.001) as client:
            result = client.execute("deposit", {"amount": 5}, idempotency_key="k-9")
    finally:
        server.stop()
    assert isinstance(result, CommandOk)
    assert (result.attempts, result.retries) == (3, 2 + 2 + 1 + 2)
    assert all(b"\r\nx-idempotency-key: k-9\r\n" in r.lower() for r in requests)
    assert len({r.partition(b"\r\n\r\n")[2] for r in requests}) == 1
