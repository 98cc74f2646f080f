"""Script transactions: handles, commit and rollback, misuse, closing, and use from threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy

from esruntime.errors import SdkError
from esruntime.scripts.sdk.db import ScriptDatabase

from .conftest import all_rows

UNKNOWN = r"^Invalid transaction: unknown or finished transaction handle$"
INSERT = "INSERT INTO notes (id, body) VALUES ($1, $2)"


def count_notes(engine: sqlalchemy.Engine, tenant: str) -> int:
    return sum(1 for row in all_rows(engine, "notes") if row[0] == tenant)


def test_a_committed_transaction_is_visible(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase
) -> None:
    transaction = db_a.begin()
    db_a.execute(INSERT, [10, "in tx"], transaction)
    assert db_a.query_one("SELECT body FROM notes WHERE id = $1", [10], transaction) == {
        "body": "in tx"
    }
    db_a.commit(transaction)

    assert db_a.query_one("SELECT body FROM notes WHERE id = $1", [10]) == {"body": "in tx"}
    assert count_notes(engine, "A") == 2


def test_a_rolled_back_transaction_leaves_nothing(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase
) -> None:
    transaction = db_a.begin()
    db_a.execute(INSERT, [10, "gone"], transaction)
    db_a.execute("DELETE FROM accounts", None, transaction)
    db_a.rollback(transaction)

    assert count_notes(engine, "A") == 1
    assert db_a.query_one("SELECT count(*) AS n FROM accounts") == {"n": 2}


def test_a_transaction_sees_only_its_tenant(db_a: ScriptDatabase) -> None:
    transaction = db_a.begin()
    assert db_a.query("SELECT owner FROM accounts ORDER BY id", None, transaction) == [
        {"owner": "alice"},
        {"owner": "arthur"},
    ]
    assert db_a.execute("UPDATE accounts SET balance = $1", [0], transaction) == 2
    db_a.commit(transaction)


def test_finished_unknown_and_foreign_handles_are_refused(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase, db_b: ScriptDatabase
) -> None:
    finished = db_a.begin()
    db_a.commit(finished)
    foreign = db_b.begin()

    for handle in (finished, foreign, "tx_guess", None, 42):
        if handle is not None:  # no handle means a call in its own transaction
            with pytest.raises(SdkError, match=UNKNOWN):
                db_a.query("SELECT id FROM accounts", None, handle)  # type: ignore[arg-type]
        with pytest.raises(SdkError, match=UNKNOWN):
            db_a.commit(handle)  # type: ignore[arg-type]
        with pytest.raises(SdkError, match=UNKNOWN):
            db_a.rollback(handle)  # type: ignore[arg-type]

    db_b.execute(INSERT, [20, "b's"], foreign)
    db_b.commit(foreign)
    assert count_notes(engine, "B") == 3


def test_a_failed_statement_leaves_the_transaction_to_roll_back(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase
) -> None:
    transaction = db_a.begin()
    db_a.execute(INSERT, [10, "first"], transaction)
    with pytest.raises(SdkError, match=r"^Query failed: "):
        db_a.execute(INSERT, [10, "duplicate key"], transaction)
    db_a.rollback(transaction)

    assert count_notes(engine, "A") == 1


def test_closing_rolls_back_open_transactions_and_refuses_later_calls(
    engine: sqlalchemy.Engine,
) -> None:
    db = ScriptDatabase(engine, "A")
    transaction = db.begin()
    db.execute(INSERT, [10, "never committed"], transaction)
    db.close()

    assert count_notes(engine, "A") == 1
    closed = r"^Database unavailable: the script's database session is closed$"
    with pytest.raises(SdkError, match=closed):
        db.query("SELECT id FROM accounts")
    with pytest.raises(SdkError, match=closed):
        db.begin()
    with pytest.raises(SdkError, match=closed):
        db.commit(transaction)


def test_open_transactions_are_limited(engine: sqlalchemy.Engine) -> None:
    with ScriptDatabase(engine, "A", max_transactions=2) as db:
        first, _ = db.begin(), db.begin()
        with pytest.raises(SdkError, match=r"^Invalid transaction: at most 2 may be open at once$"):
            db.begin()
        db.rollback(first)
        assert db.begin().startswith("tx_")


def test_threads_share_a_database_without_crossing_tenants(engine: sqlalchemy.Engine) -> None:
    """Eight threads insert for two tenants, half in transactions, half in single calls."""
    with ScriptDatabase(engine, "A") as db_a, ScriptDatabase(engine, "B") as db_b:

        def work(worker: int) -> None:
            db = db_a if worker % 2 else db_b
            for n in range(10):
                key = 1000 + worker * 100 + n
                if n % 2:
                    transaction = db.begin()
                    db.execute(INSERT, [key, f"w{worker}"], transaction)
                    db.commit(transaction)
                else:
                    db.execute(INSERT, [key, f"w{worker}"])
                db.query("SELECT count(*) AS n FROM notes")

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(work, range(8)))

        rows = all_rows(engine, "notes")
        assert count_notes(engine, "A") == 1 + 40
        assert count_notes(engine, "B") == 2 + 40
        assert all((row[0] == "A") == (int(row[3][1:]) % 2 == 1) for row in rows if row[1] >= 1000)


def test_one_transaction_used_from_several_threads_runs_its_calls_one_at_a_time(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase
) -> None:
    transaction = db_a.begin()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: db_a.execute(INSERT, [100 + n, "t"], transaction), range(20)))
    db_a.commit(transaction)

    assert count_notes(engine, "A") == 21
