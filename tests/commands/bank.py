"""A bank account in Python handlers, with its ESDL schema: the executor's test subject."""

from __future__ import annotations

from typing import Any

from esruntime.events import SequencedEvent
from esruntime.handlers import Decision, Emit, PythonHandler, Rejection

SCHEMA = """
event AccountOpened {
  @account_id: String
  owner: String
  currency: String = "EUR"
}

event Deposited {
  @account_id: String
  amount: Float
}

event SentFunds {
  @account_id: String
  amount: Float
  @recipient_id: String
}

event ReceivedFunds {
  @account_id: String
  amount: Float
  @sender_id: String
}
"""

ACCOUNT_EVENTS = {
    t: ["account_id"] for t in ("AccountOpened", "Deposited", "SentFunds", "ReceivedFunds")
}


class Accounts(PythonHandler):
    """Folds balances of the accounts the command names."""

    name = "accounts"
    reads = ACCOUNT_EVENTS

    def __init__(self) -> None:
        self.balances: dict[str, float] = {}
        self.currencies: dict[str, str] = {}

    def apply(self, event: SequencedEvent) -> None:
        account = event.data["account_id"]
        if event.type == "AccountOpened":
            self.balances[account] = 0.0
            self.currencies[account] = event.data["currency"]
        elif event.type in ("Deposited", "ReceivedFunds"):
            self.balances[account] += event.data["amount"]
        elif event.type == "SentFunds":
            self.balances[account] -= event.data["amount"]

    def handle(self, command: dict[str, Any]) -> Decision:
        return []


class OpenAccount(Accounts):
    name = "open_account"
    input_domain_ids = {"account_id": "account_id"}
    emits = ["AccountOpened"]

    def handle(self, command: dict[str, Any]) -> Decision:
        if command["account_id"] in self.balances:
            return Rejection("account_exists", f"account {command['account_id']} already exists")
        return [
            Emit("AccountOpened", {"account_id": command["account_id"], "owner": command["owner"]})
        ]


class Deposit(Accounts):
    name = "deposit"
    input_domain_ids = {"account_id": "account_id"}
    emits = ["Deposited"]

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        amount = command.get("amount")
        if not isinstance(amount, int | float) or amount <= 0:
            return Rejection("invalid_input", "amount must be a positive number")
        return None

    def handle(self, command: dict[str, Any]) -> Decision:
        if command["account_id"] not in self.balances:
            return Rejection("account_not_found", "no such account")
        return [
            Emit("Deposited", {"account_id": command["account_id"], "amount": command["amount"]})
        ]


class TransferFunds(Accounts):
    name = "transfer_funds"
    version = "1.2.0"
    input_domain_ids = {"source_account": "account_id", "dest_account": "account_id"}
    emits = ["SentFunds", "ReceivedFunds"]

    def handle(self, command: dict[str, Any]) -> Decision:
        source, dest, amount = command["source_account"], command["dest_account"], command["amount"]
        if source not in self.balances or dest not in self.balances:
            return Rejection("account_not_found", "both accounts must exist")
        if self.balances[source] < amount:
            return Rejection("insufficient_funds", f"balance {self.balances[source]} < {amount}")
        return [
            Emit("SentFunds", {"account_id": source, "amount": amount, "recipient_id": dest}),
            Emit("ReceivedFunds", {"account_id": dest, "amount": amount, "sender_id": source}),
        ]
