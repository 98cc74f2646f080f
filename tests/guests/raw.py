"""Calling a guest's exports with raw bytes, around the executor (which only sends valid JSON)."""

from __future__ import annotations

import json
from typing import Any

from esruntime.handlers import WasmModule
from tests.guests.apps import module_path

LANGUAGES = ("c", "assemblyscript")


class Raw:
    """One instance of one example module, driven export by export."""

    def __init__(self, app: str, language: str, command: str) -> None:
        self.module = WasmModule.load(module_path(app, language, command).read_bytes())
        self.instance = self.module.instance()
        self.instance.call_buffer("esr_init")

    def call(self, export: str, data: bytes) -> Any:
        """The export's result as JSON (None for 0)."""
        raw = self.instance.call_buffer(export, *self.instance.send(data, export))
        return None if raw is None else json.loads(raw)

    def handle(self, data: bytes) -> Any:
        return self.call("esr_handle", data)

    def apply(self, *envelopes: bytes) -> Any:
        frames = b"".join(len(e).to_bytes(4, "little") + e for e in envelopes)
        return self.call("esr_apply", frames)
