"""``ScriptService.run``: a script already read runs as ``execute`` runs it, with the same
refusals."""

from __future__ import annotations

import pytest

from esruntime.errors import ScriptStateError, ScriptValidationError
from esruntime.runtime import Runtime
from esruntime.scripts import Trigger


def test_a_script_read_once_runs_and_is_recorded() -> None:
    with Runtime() as runtime:
        service = runtime.scripts
        script = service.create(name="reader", type="oneoff", source="return context.input.n;")
        execution = service.run(script, {"n": 3}, trigger=Trigger.api(), user_id="key")
        assert (execution.status, execution.output, execution.user_id) == ("completed", 3, "key")
        assert service.execution(execution.id).trigger.type == "api"
        assert service.executions(script.id).total == 1


def test_run_refuses_what_execute_refuses() -> None:
    with Runtime() as runtime:
        service = runtime.scripts
        disabled = service.create(name="off", type="oneoff", source="1", status="disabled")
        with pytest.raises(ScriptStateError):
            service.run(disabled)
        script = service.create(name="running", type="oneoff", source="1")
        with pytest.raises(ScriptValidationError, match="input"):
            service.run(script, [1, 2])
        with pytest.raises(ScriptValidationError, match="script"):
            service.run(script.id)  # type: ignore[arg-type]
