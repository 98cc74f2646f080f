"""Test helpers that ship with esruntime, for its own suite and for third-party backends.

:class:`EventStoreContract` is the behaviour every event store must have. Subclass it in a test
module and provide ``make_store``::

    class TestMyStore(EventStoreContract):
        @pytest.fixture
        def make_store(self, tmp_path):
            return lambda tenant="default": MyStore(tmp_path, tenant=tenant)

The other storage protocols of :mod:`esruntime.protocols` have a suite each, used the same way:
:class:`SchemaStorageContract` and :class:`HandlerStorageContract` (a ``make_storage`` fixture),
:class:`ApiKeyStorageContract` (``key_storage``), :class:`ScriptRepositoryContract`
(``repository``), :class:`ScriptRunnerContract` (``runner``), :class:`ConsumerStoreContract`
(``consumers``) and :class:`ScheduleStoreContract` (``store``). ``docs/backends.md`` walks
through them.

:class:`Scenario` tests handlers given/when/then; :func:`command_inputs` generates their inputs;
:class:`CommandMachine` runs random command sequences against invariants.
:func:`event_data` generates the data of an event type that a schema accepts, to test handlers.
:func:`schemas` generates valid ESDL schemas, for parser, registry and validator tests.
"""

from esruntime.testing.commands import command_inputs
from esruntime.testing.consumers import ConsumerStoreContract
from esruntime.testing.event_data import event_data
from esruntime.testing.eventstore import EventStoreContract
from esruntime.testing.handler_storage import HandlerStorageContract
from esruntime.testing.key_storage import ApiKeyStorageContract
from esruntime.testing.machine import CommandMachine
from esruntime.testing.scenarios import Scenario
from esruntime.testing.schedules import ScheduleStoreContract
from esruntime.testing.schema_storage import SchemaStorageContract
from esruntime.testing.schemas import schemas
from esruntime.testing.script_runner import ScriptRunnerContract
from esruntime.testing.scripts import ScriptRepositoryContract

__all__ = [
    "ApiKeyStorageContract",
    "CommandMachine",
    "ConsumerStoreContract",
    "EventStoreContract",
    "HandlerStorageContract",
    "Scenario",
    "ScheduleStoreContract",
    "SchemaStorageContract",
    "ScriptRepositoryContract",
    "ScriptRunnerContract",
    "command_inputs",
    "event_data",
    "schemas",
]
