"""The bank's handlers in Python: the reference behaviour the C and AssemblyScript handlers share.

A balance is folded from ``OpenedAccount``, ``SentFunds`` and ``ReceivedFunds`` (a deposit is
``ReceivedFunds`` with no sender, a withdrawal ``SentFunds`` with no recipient), as doubles in
event order, exactly as the guests fold it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from attrs import define

from esruntime.events import SequencedEvent
from esruntime.handlers import Decision, Emit, PythonHandler, Rejection
from examples.checks import TEXT, first, need_num, need_str, number, required

SCHEMA = Path(__file__).with_name("schema.esdl")
CURRENCIES = ("EUR", "USD", "GBP")
MONEY: Mapping[str, Sequence[str]] = {
    "OpenedAccount": ["account_id"],
    "SentFunds": ["account_id"],
    "ReceivedFunds": ["account_id"],
}
AMOUNT: Mapping[str, Any] = {"type": "number", "exclusiveMinimum": 0}
"""The input schema of an amount ``positive_amount`` accepts: a number above zero."""


@define
class Account:
    open: bool = False
    currency: str | None = None
    balance: float = 0.0


class BankHandler(PythonHandler):
    """Folds the accounts the command's events belong to."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}

    def apply(self, event: SequencedEvent) -> None:
        account = self.accounts.setdefault(event.data["account_id"], Account())
        if event.type == "OpenedAccount":
            account.open = True
            account.currency = event.data["currency"]
        elif event.type == "ReceivedFunds":
            account.balance += float(event.data["amount"])
        elif event.type == "SentFunds":
            account.balance -= float(event.data["amount"])

    def open_account(self, account_id: str) -> Account | Rejection:
        account = self.accounts.get(account_id)
        if account is None or not account.open:
            return Rejection("account_not_found", f"account {account_id} does not exist")
        return account


def positive_amount(command: Mapping[str, Any]) -> Rejection | None:
    rejection = need_num(command, "amount")
    if rejection is None and (number(command["amount"]) or 0.0) <= 0:
        return Rejection("invalid_amount", "amount must be greater than zero")
    return rejection


class OpenAccount(BankHandler):
    name = "open_account"
    version = "1.0.0"
    description = "Open an account for an owner, holding one currency."
    reads: ClassVar[Mapping[str, Sequence[str]]] = {"OpenedAccount": ["account_id"]}
    input_domain_ids: ClassVar[Mapping[str, str]] = {"account_id": "account_id"}
    emits: ClassVar[Sequence[str]] = ["OpenedAccount"]
    input_schema = required(
        account_id=TEXT, owner=TEXT, currency={"type": "string", "enum": list(CURRENCIES)}
    )

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        currency = None
        if command.get("currency") not in CURRENCIES:
            currency = Rejection("invalid_input", "currency must be one of EUR, USD, GBP")
        return first(need_str(command, "account_id"), need_str(command, "owner"), currency)

    def handle(self, command: dict[str, Any]) -> Decision:
        account_id = command["account_id"]
        account = self.accounts.get(account_id)
        if account is not None and account.open:
            return Rejection("account_already_open", f"account {account_id} is already open")
        data = {"account_id": account_id, "owner": command["owner"]}
        return [Emit("OpenedAccount", {**data, "currency": command["currency"]})]


class Deposit(BankHandler):
    name = "deposit"
    version = "1.0.0"
    description = "Pay money into an open account."
    reads: ClassVar[Mapping[str, Sequence[str]]] = {"OpenedAccount": ["account_id"]}
    input_domain_ids: ClassVar[Mapping[str, str]] = {"account_id": "account_id"}
    emits: ClassVar[Sequence[str]] = ["ReceivedFunds"]
    input_schema = required(account_id=TEXT, amount=AMOUNT)

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        return first(need_str(command, "account_id"), positive_amount(command))

    def handle(self, command: dict[str, Any]) -> Decision:
        account = self.open_account(command["account_id"])
        if isinstance(account, Rejection):
            return account
        data = {"account_id": command["account_id"], "amount": command["amount"]}
        return [Emit("ReceivedFunds", {**data, "sender_id": None})]


class Withdraw(BankHandler):
    name = "withdraw"
    version = "1.0.0"
    description = "Take money out of an open account, never below zero."
    reads = MONEY
    input_domain_ids: ClassVar[Mapping[str, str]] = {"account_id": "account_id"}
    emits: ClassVar[Sequence[str]] = ["SentFunds"]
    input_schema = required(account_id=TEXT, amount=AMOUNT)

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        return first(need_str(command, "account_id"), positive_amount(command))

    def handle(self, command: dict[str, Any]) -> Decision:
        account_id = command["account_id"]
        account = self.open_account(account_id)
        if isinstance(account, Rejection):
            return account
        if account.balance < float(command["amount"]):
            return Rejection("insufficient_funds", f"account {account_id} has insufficient funds")
        data = {"account_id": account_id, "amount": command["amount"]}
        return [Emit("SentFunds", {**data, "recipient_id": None})]


class TransferFunds(BankHandler):
    name = "transfer_funds"
    version = "1.2.0"
    description = "Move money from one open account to another of the same currency."
    reads = MONEY
    input_domain_ids: ClassVar[Mapping[str, str]] = {
        "source_account": "account_id",
        "dest_account": "account_id",
    }
    emits: ClassVar[Sequence[str]] = ["SentFunds", "ReceivedFunds"]
    input_schema = required(source_account=TEXT, dest_account=TEXT, amount=AMOUNT)

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        rejection = first(
            need_str(command, "source_account"),
            need_str(command, "dest_account"),
            positive_amount(command),
        )
        if rejection is None and command["source_account"] == command["dest_account"]:
            return Rejection("same_account", "cannot transfer from an account to itself")
        return rejection

    def handle(self, command: dict[str, Any]) -> Decision:
        source_id, dest_id = command["source_account"], command["dest_account"]
        source = self.open_account(source_id)
        if isinstance(source, Rejection):
            return source
        dest = self.open_account(dest_id)
        if isinstance(dest, Rejection):
            return dest
        if source.currency != dest.currency:
            return Rejection(
                "currency_mismatch", f"accounts {source_id} and {dest_id} hold different currencies"
            )
        amount = command["amount"]
        if source.balance < float(amount):
            return Rejection("insufficient_funds", f"account {source_id} has insufficient funds")
        return [
            Emit("SentFunds", {"account_id": source_id, "amount": amount, "recipient_id": dest_id}),
            Emit(
                "ReceivedFunds", {"account_id": dest_id, "amount": amount, "sender_id": source_id}
            ),
        ]


HANDLERS: tuple[type[BankHandler], ...] = (OpenAccount, Deposit, Withdraw, TransferFunds)
