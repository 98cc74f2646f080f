"""Test helpers that ship with esruntime, for its own suite and for third-party backends.

:class:`EventStoreContract` is the behaviour every event store must have. Subclass it in a test
module and provide ``make_store``::

    class TestMyStore(EventStoreContract):
        @pytest.fixture
        def make_store(self, tmp_path):
            return lambda tenant="default": MyStore(tmp_path, tenant=tenant)
"""

from esruntime.testing.eventstore import EventStoreContract

__all__ = ["EventStoreContract"]
