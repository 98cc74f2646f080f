"""Test helpers that ship with esruntime, for its own suite and for third-party backends.

:class:`EventStoreContract` is the behaviour every event store must have. Subclass it in a test
module and provide ``make_store``::

    class TestMyStore(EventStoreContract):
        @pytest.fixture
        def make_store(self, tmp_path):
            return lambda tenant="default": MyStore(tmp_path, tenant=tenant)

:class:`Scenario` tests handlers given/when/then; :func:`command_inputs` generates their inputs;
:class:`CommandMachine` runs random command sequences against invariants.
:func:`event_data` generates the data of an event type that a schema accepts, to test handlers.
:func:`schemas` generates valid ESDL schemas, for parser, registry and validator tests.
"""

from esruntime.testing.commands import command_inputs
from esruntime.testing.event_data import event_data
from esruntime.testing.eventstore import EventStoreContract
from esruntime.testing.machine import CommandMachine
from esruntime.testing.scenarios import Scenario
from esruntime.testing.schemas import schemas

__all__ = [
    "CommandMachine",
    "EventStoreContract",
    "Scenario",
    "command_inputs",
    "event_data",
    "schemas",
]
