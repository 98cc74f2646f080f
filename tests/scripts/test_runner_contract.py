"""The sandboxed engines pass the script runner contract shipped in ``esruntime.testing``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from esruntime.protocols import ScriptRunner
from esruntime.scripts.engines import ProcessPoolRunner, QuickJsRunner
from esruntime.testing import ScriptRunnerContract


class TestQuickJsRunner(ScriptRunnerContract):
    @pytest.fixture
    def runner(self) -> Iterator[ScriptRunner]:
        runner = QuickJsRunner()
        yield runner
        runner.close()


class TestProcessPoolRunner(ScriptRunnerContract):
    @pytest.fixture
    def runner(self) -> Iterator[ScriptRunner]:
        runner = ProcessPoolRunner(workers=2)
        yield runner
        runner.close()
