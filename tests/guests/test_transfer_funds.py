"""transfer_funds, the handler of docs/abi.md's manifest example: its manifest (the one the page
shows, in every language), and a transfer over a history given as events (not made by the other
commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from esruntime import Event
from esruntime.handlers import WasmModule
from esruntime.handlers.manifest import manifest_document
from examples.bank.python_handlers import TransferFunds
from tests.guests.apps import App, module_path
from tests.guests.raw import LANGUAGES

ABI_PAGE = Path(__file__).resolve().parents[2] / "docs" / "abi.md"


def abi_manifest() -> dict[str, Any]:
    """The manifest docs/abi.md shows under "The manifest"."""
    section = ABI_PAGE.read_text().split("## The manifest", 1)[1]
    block = section.split("```json\n", 1)[1].split("```", 1)[0]
    shown: dict[str, Any] = json.loads(block)
    return shown


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_manifest_is_the_one_of_the_abi(language: str) -> None:
    module = WasmModule.load(module_path("bank", language, "transfer_funds").read_bytes())
    document = manifest_document(module.manifest)
    assert (document["name"], document["version"]) == ("transfer_funds", "1.2.0")
    assert document["reads"] == [
        {"type": t, "domain_ids": ["account_id"]}
        for t in ("OpenedAccount", "SentFunds", "ReceivedFunds")
    ]
    assert document["input_domain_ids"] == {
        "source_account": "account_id",
        "dest_account": "account_id",
    }
    assert document["emits"] == [{"type": "SentFunds"}, {"type": "ReceivedFunds"}]
    assert document["input_schema"] == TransferFunds.input_schema
    shown = abi_manifest()
    assert shown == {key: document[key] for key in shown}
    assert set(document) - set(shown) == {"sdk"}


def test_a_transfer_over_a_given_history(bank: App) -> None:
    bank.store.append(
        [
            Event(
                "OpenedAccount",
                {"account_id": a, "owner": a, "currency": "GBP"},
                [f"account_id:{a}"],
            )
            for a in ("alice", "bob")
        ]
        + [
            Event(
                "ReceivedFunds",
                {"account_id": "alice", "amount": 100.0, "sender_id": None},
                ["account_id:alice"],
            ),
            Event(
                "OpenedAccount",
                {"account_id": "x", "owner": "x", "currency": "EUR"},
                ["account_id:x"],
            ),
        ]
    )
    bank.new_events()
    transfer = {"source_account": "alice", "dest_account": "bob", "amount": 60.5}
    assert bank.run("transfer_funds", **transfer).outcome == "ok"
    sent, received = bank.store.read().events[-2:]
    assert len(bank.new_events()) == 2
    assert (sent.type, sent.data, sent.tags) == (
        "SentFunds",
        {"account_id": "alice", "amount": 60.5, "recipient_id": "bob"},
        ("account_id:alice",),  # the counterparty is data, not a domain id
    )
    assert (received.type, received.tags) == (
        "ReceivedFunds",
        ("account_id:bob",),
    )
    assert bank.rejection("transfer_funds", **transfer) == (
        "insufficient_funds",
        "account alice has insufficient funds",
    )
