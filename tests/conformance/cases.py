"""One conformance history per example application: given events, a command, what must happen.

Every handler implementation (Python, C, AssemblyScript) must pass every case exactly: the
same events with the same data, or the same rejection code and message.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen


@frozen
class Case:
    name: str
    given: tuple[tuple[str, dict[str, Any]], ...]
    command: str
    input: dict[str, Any]
    events: tuple[tuple[str, dict[str, Any]], ...] = ()
    rejected: tuple[str, str] | None = None


def opened(account: str, currency: str = "EUR") -> tuple[str, dict[str, Any]]:
    return ("OpenedAccount", {"account_id": account, "owner": "Ann", "currency": currency})


def received(account: str, amount: float, sender: str | None = None) -> tuple[str, dict[str, Any]]:
    return ("ReceivedFunds", {"account_id": account, "amount": amount, "sender_id": sender})


def sent(account: str, amount: float, recipient: str | None = None) -> tuple[str, dict[str, Any]]:
    return ("SentFunds", {"account_id": account, "amount": amount, "recipient_id": recipient})


def transfer(source: str, dest: str, amount: Any) -> dict[str, Any]:
    return {"source_account": source, "dest_account": dest, "amount": amount}


BANK = [
    Case(
        "an account opens",
        (),
        "open_account",
        {"account_id": "a", "owner": "Ann", "currency": "EUR"},
        events=(opened("a"),),
    ),
    Case(
        "an account opens only once",
        (opened("a"),),
        "open_account",
        {"account_id": "a", "owner": "Bob", "currency": "USD"},
        rejected=("account_already_open", "account a is already open"),
    ),
    Case(
        "an unknown currency is invalid input",
        (),
        "open_account",
        {"account_id": "a", "owner": "Ann", "currency": "JPY"},
        rejected=("invalid_input", "currency must be one of EUR, USD, GBP"),
    ),
    Case(
        "an empty owner is invalid input",
        (),
        "open_account",
        {"account_id": "a", "owner": "", "currency": "EUR"},
        rejected=("invalid_input", "owner must be a non-empty string"),
    ),
    Case(
        "input fields are checked in order",
        (),
        "open_account",
        {"owner": 7, "currency": "JPY"},
        rejected=("invalid_input", "account_id must be a non-empty string"),
    ),
    Case(
        "a deposit is received funds without a sender",
        (opened("a"),),
        "deposit",
        {"account_id": "a", "amount": 50},
        events=(received("a", 50),),
    ),
    Case(
        "a deposit needs an open account",
        (),
        "deposit",
        {"account_id": "x", "amount": 5},
        rejected=("account_not_found", "account x does not exist"),
    ),
    Case(
        "a zero deposit is refused",
        (opened("a"),),
        "deposit",
        {"account_id": "a", "amount": 0},
        rejected=("invalid_amount", "amount must be greater than zero"),
    ),
    Case(
        "an amount must be a JSON number",
        (opened("a"),),
        "deposit",
        {"account_id": "a", "amount": "5"},
        rejected=("invalid_input", "amount must be a number"),
    ),
    Case(
        "a boolean is not an amount",
        (opened("a"),),
        "deposit",
        {"account_id": "a", "amount": True},
        rejected=("invalid_input", "amount must be a number"),
    ),
    Case(
        "a withdrawal is sent funds without a recipient",
        (opened("a"), received("a", 30)),
        "withdraw",
        {"account_id": "a", "amount": 10.5},
        events=(sent("a", 10.5),),
    ),
    Case(
        "a withdrawal cannot overdraw",
        (opened("a"), received("a", 30), sent("a", 25)),
        "withdraw",
        {"account_id": "a", "amount": 6},
        rejected=("insufficient_funds", "account a has insufficient funds"),
    ),
    Case(
        "balances are doubles folded in event order",
        (opened("a"), received("a", 0.1), received("a", 0.2), sent("a", 0.3)),
        "withdraw",
        {"account_id": "a", "amount": 5.551115123125783e-17},
        events=(sent("a", 5.551115123125783e-17),),
    ),
    Case(
        "a transfer sends and receives",
        (opened("a"), received("a", 100), opened("b")),
        "transfer_funds",
        transfer("a", "b", 40),
        events=(sent("a", 40, "b"), received("b", 40, "a")),
    ),
    Case(
        "a transfer uses everything it received",
        (opened("a"), received("a", 10), opened("b"), received("a", 5, "b"), sent("b", 5, "a")),
        "transfer_funds",
        transfer("a", "b", 15),
        events=(sent("a", 15, "b"), received("b", 15, "a")),
    ),
    Case(
        "a transfer to the same account is refused",
        (opened("a"), received("a", 100)),
        "transfer_funds",
        transfer("a", "a", 1),
        rejected=("same_account", "cannot transfer from an account to itself"),
    ),
    Case(
        "the source is looked for first",
        (),
        "transfer_funds",
        transfer("a", "b", 1),
        rejected=("account_not_found", "account a does not exist"),
    ),
    Case(
        "then the destination",
        (opened("a"), received("a", 100)),
        "transfer_funds",
        transfer("a", "b", 1),
        rejected=("account_not_found", "account b does not exist"),
    ),
    Case(
        "currencies must match",
        (opened("a"), received("a", 100), opened("b", "USD")),
        "transfer_funds",
        transfer("a", "b", 1),
        rejected=("currency_mismatch", "accounts a and b hold different currencies"),
    ),
    Case(
        "a transfer cannot overdraw",
        (opened("a"), received("a", 10), opened("b")),
        "transfer_funds",
        transfer("a", "b", 10.01),
        rejected=("insufficient_funds", "account a has insufficient funds"),
    ),
    Case(
        "another account's money does not count",
        (opened("a"), opened("b"), received("b", 1000), opened("c")),
        "transfer_funds",
        transfer("a", "c", 1),
        rejected=("insufficient_funds", "account a has insufficient funds"),
    ),
    Case(
        "unicode ids and escapes pass through unchanged",
        (opened('ä "q" \\ 😀'), received('ä "q" \\ 😀', 3), opened("b")),
        "transfer_funds",
        transfer('ä "q" \\ 😀', "b", 3),
        events=(sent('ä "q" \\ 😀', 3, "b"), received("b", 3, 'ä "q" \\ 😀')),
    ),
]


def created(task: str, title: str = "Write docs") -> tuple[str, dict[str, Any]]:
    return ("TaskCreated", {"task_id": task, "title": title, "status": "TODO"})


def moved(task: str, status: str, previous: str) -> tuple[str, dict[str, Any]]:
    return ("TaskStatusChanged", {"task_id": task, "status": status, "previous_status": previous})


DELETED = ("TaskDeleted", {"task_id": "t1"})

KANBAN = [
    Case(
        "a task is created in TODO",
        (),
        "create_task",
        {"task_id": "t1", "title": "Write docs"},
        events=(created("t1"),),
    ),
    Case(
        "a task is created once",
        (created("t1"),),
        "create_task",
        {"task_id": "t1", "title": "Again"},
        rejected=("task_already_exists", "task t1 already exists"),
    ),
    Case(
        "a task can be renamed",
        (created("t1"),),
        "rename_task",
        {"task_id": "t1", "title": "Write better docs"},
        events=(("TaskRenamed", {"task_id": "t1", "title": "Write better docs"}),),
    ),
    Case(
        "renaming to the current title changes nothing",
        (created("t1"), ("TaskRenamed", {"task_id": "t1", "title": "Now"})),
        "rename_task",
        {"task_id": "t1", "title": "Now"},
    ),
    Case(
        "a task moves to another column",
        (created("t1"),),
        "change_task_status",
        {"task_id": "t1", "status": "DOING"},
        events=(moved("t1", "DOING", "TODO"),),
    ),
    Case(
        "moving to the current column changes nothing",
        (created("t1"), moved("t1", "DONE", "TODO")),
        "change_task_status",
        {"task_id": "t1", "status": "DONE"},
    ),
    Case(
        "an unknown status is invalid input",
        (created("t1"),),
        "change_task_status",
        {"task_id": "t1", "status": "BLOCKED"},
        rejected=("invalid_input", "status must be one of TODO, DOING, DONE"),
    ),
    Case(
        "a task can be deleted",
        (created("t1"),),
        "delete_task",
        {"task_id": "t1"},
        events=(DELETED,),
    ),
    Case(
        "a deleted task cannot be renamed",
        (created("t1"), DELETED),
        "rename_task",
        {"task_id": "t1", "title": "Zombie"},
        rejected=("task_deleted", "task t1 was deleted"),
    ),
    Case(
        "a deleted task cannot move",
        (created("t1"), DELETED),
        "change_task_status",
        {"task_id": "t1", "status": "DONE"},
        rejected=("task_deleted", "task t1 was deleted"),
    ),
    Case(
        "a deleted task cannot be deleted again",
        (created("t1"), DELETED),
        "delete_task",
        {"task_id": "t1"},
        rejected=("task_deleted", "task t1 was deleted"),
    ),
    Case(
        "a deleted task cannot be created again",
        (created("t1"), DELETED),
        "create_task",
        {"task_id": "t1", "title": "Again"},
        rejected=("task_deleted", "task t1 was deleted"),
    ),
    Case(
        "an unknown task is not found",
        (created("t2"),),
        "rename_task",
        {"task_id": "t1", "title": "Hello"},
        rejected=("task_not_found", "task t1 does not exist"),
    ),
    Case(
        "a title must be a non-empty string",
        (created("t1"),),
        "rename_task",
        {"task_id": "t1", "title": ""},
        rejected=("invalid_input", "title must be a non-empty string"),
    ),
]

APPS = {"bank": BANK, "kanban": KANBAN}
