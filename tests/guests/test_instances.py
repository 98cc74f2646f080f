"""Instances the SDKs make safe to reuse: esr_init resets state and reclaims memory.

The host may keep one instance per thread (``pooled=True``) and start every command with
``esr_init``; nothing of one command may leak into the next, and memory must not creep.
"""

from __future__ import annotations

import pytest

from esruntime import Event, InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.handlers import WasmModule
from tests.guests.apps import COMMANDS, module_path, schema
from tests.guests.raw import LANGUAGES, Raw


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reused_instance_starts_every_command_afresh(language: str) -> None:
    store = InMemoryEventStore()
    executor = CommandExecutor(store, schema=lambda: schema("bank"))
    for command in COMMANDS["bank"]:
        module = WasmModule.load(module_path("bank", language, command).read_bytes(), pooled=True)
        executor.register_factory(module.manifest, module.handler)
    for account in ("a", "b"):
        opened = executor.execute(
            "open_account", {"account_id": account, "owner": "O", "currency": "EUR"}
        )
        assert opened.outcome == "ok"  # the instance that opened "a" has forgotten it
    executor.execute("deposit", {"account_id": "a", "amount": 5})
    transfer = {"source_account": "b", "dest_account": "a", "amount": 5}
    assert executor.execute("transfer_funds", transfer).code == "insufficient_funds"
    transfer = {"source_account": "a", "dest_account": "b", "amount": 5}
    assert executor.execute("transfer_funds", transfer).outcome == "ok"
    assert executor.execute("transfer_funds", transfer).code == "insufficient_funds"


@pytest.mark.parametrize("language", LANGUAGES)
def test_memory_does_not_creep_across_commands(language: str) -> None:
    store = InMemoryEventStore()
    created = {"task_id": "t1", "title": "T", "status": "TODO"}
    renamed = [{"task_id": "t1", "title": f"title {i} " + "x" * 200} for i in range(2_000)]
    store.append(
        [Event("TaskCreated", created, ["task_id:t1"])]
        + [Event("TaskRenamed", data, ["task_id:t1"]) for data in renamed]
    )
    module = WasmModule.load(
        module_path("kanban", language, "rename_task").read_bytes(), pooled=True
    )
    executor = CommandExecutor(store, schema=lambda: schema("kanban"))
    executor.register_factory(module.manifest, module.handler)
    sizes = []
    for _ in range(12):
        result = executor.execute("rename_task", renamed[-1])  # the same title: nothing emitted
        assert (result.outcome, result.event_ids) == ("ok", ())
        instance = module.instance()
        sizes.append(instance.memory.size())
    assert sizes[2:] == [sizes[1]] * 10


@pytest.mark.parametrize("language", LANGUAGES)
def test_esr_alloc_returns_zero_rather_than_trapping(language: str) -> None:
    raw = Raw("kanban", language, "create_task")
    for size in (-1, 2**31 - 1, 100 * 1024 * 1024):  # the memory limit is 64 MiB
        assert raw.instance.call("esr_alloc", size) == 0
    raw.instance.call_buffer("esr_init")
    assert raw.handle(b'{"task_id": "t1", "title": "still fine"}')["ok"][0]["type"] == "TaskCreated"


@pytest.mark.parametrize("language", LANGUAGES)
def test_esr_describe_gives_the_same_bytes_before_and_after_commands(language: str) -> None:
    raw = Raw("bank", language, "transfer_funds")
    first = raw.instance.call_buffer("esr_describe")
    raw.instance.call_buffer("esr_init")
    raw.handle(b'{"source_account": "a", "dest_account": "b", "amount": 1}')
    raw.instance.call_buffer("esr_init")
    assert raw.instance.call_buffer("esr_describe") == first
    assert first is not None
    assert b'"sdk":"' in first
