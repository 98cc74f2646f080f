"""The bank, told once and run by its handlers in every language on every store."""

from __future__ import annotations

from tests.guests.apps import App


def open_accounts(bank: App, *accounts: tuple[str, str]) -> None:
    for account_id, currency in accounts:
        assert (
            bank.run("open_account", account_id=account_id, owner="Ann", currency=currency).outcome
            == "ok"
        )
    bank.new_events()


def test_an_account_opens_once(bank: App) -> None:
    result = bank.run("open_account", account_id="acc-1", owner="Ann", currency="EUR")
    assert result.outcome == "ok"
    assert bank.new_events() == [
        ("OpenedAccount", {"account_id": "acc-1", "owner": "Ann", "currency": "EUR"})
    ]
    assert bank.rejection("open_account", account_id="acc-1", owner="Bo", currency="USD") == (
        "account_already_open",
        "account acc-1 is already open",
    )


def test_deposits_and_withdrawals_never_take_a_balance_below_zero(bank: App) -> None:
    open_accounts(bank, ("acc-1", "EUR"))
    assert bank.run("deposit", account_id="acc-1", amount=100).outcome == "ok"
    assert bank.run("withdraw", account_id="acc-1", amount=99.5).outcome == "ok"
    assert bank.new_events() == [
        ("ReceivedFunds", {"account_id": "acc-1", "amount": 100, "sender_id": None}),
        ("SentFunds", {"account_id": "acc-1", "amount": 99.5, "recipient_id": None}),
    ]
    assert bank.rejection("withdraw", account_id="acc-1", amount=0.75) == (
        "insufficient_funds",
        "account acc-1 has insufficient funds",
    )
    assert bank.run("withdraw", account_id="acc-1", amount=0.5).outcome == "ok"
    assert [data["amount"] for _, data in bank.new_events()] == [0.5]
    assert bank.rejection("deposit", account_id="acc-2", amount=1) == (
        "account_not_found",
        "account acc-2 does not exist",
    )


def transfer(source: str, dest: str, amount: float) -> dict[str, object]:
    return {"source_account": source, "dest_account": dest, "amount": amount}


def test_transfers_move_money_between_accounts_of_one_currency(bank: App) -> None:
    open_accounts(bank, ("alice", "EUR"), ("bob", "EUR"), ("carol", "USD"))
    bank.run("deposit", account_id="alice", amount=0.1)
    bank.run("deposit", account_id="alice", amount=0.2)
    bank.new_events()
    assert bank.run("transfer_funds", **transfer("alice", "bob", 0.3)).outcome == "ok"
    assert bank.new_events() == [
        ("SentFunds", {"account_id": "alice", "amount": 0.3, "recipient_id": "bob"}),
        ("ReceivedFunds", {"account_id": "bob", "amount": 0.3, "sender_id": "alice"}),
    ]
    # 0.1 + 0.2 - 0.3 leaves 5.55e-17 in doubles, in every language
    assert bank.run("transfer_funds", **transfer("alice", "bob", 5e-17)).outcome == "ok"
    assert len(bank.new_events()) == 2
    code, _ = bank.rejection("transfer_funds", **transfer("alice", "bob", 1e-17))
    assert code == "insufficient_funds"
    assert bank.rejection("transfer_funds", **transfer("bob", "carol", 0.1)) == (
        "currency_mismatch",
        "accounts bob and carol hold different currencies",
    )
    assert bank.rejection("transfer_funds", **transfer("bob", "dan", 0.1)) == (
        "account_not_found",
        "account dan does not exist",
    )
    assert bank.rejection("transfer_funds", **transfer("dan", "eve", 0.1)) == (
        "account_not_found",
        "account dan does not exist",
    )


def test_bad_input_is_refused_with_the_same_words_everywhere(bank: App) -> None:
    assert bank.rejection("open_account", account_id="a", owner="", currency="EUR") == (
        "invalid_input",
        "owner must be a non-empty string",
    )
    assert bank.rejection("open_account", account_id="a", owner="Ann", currency="eur") == (
        "invalid_input",
        "currency must be one of EUR, USD, GBP",
    )
    assert bank.rejection("deposit", account_id="a", amount="10") == (
        "invalid_input",
        "amount must be a number",
    )
    assert bank.rejection("deposit", account_id="a", amount=True) == (
        "invalid_input",
        "amount must be a number",
    )
    assert bank.rejection("withdraw", account_id="a", amount=-5) == (
        "invalid_amount",
        "amount must be greater than zero",
    )
    assert bank.rejection("transfer_funds", **transfer("a", "a", 1)) == (
        "same_account",
        "cannot transfer from an account to itself",
    )
    assert bank.rejection("transfer_funds", source_account="a", amount=1) == (
        "invalid_input",
        "dest_account must be a non-empty string",
    )
