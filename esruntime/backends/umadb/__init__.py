"""The event store on a UmaDB server (``pip install 'esruntime[umadb]'``).

:class:`UmaDbEventStore` keeps one tenant's events on a UmaDB server through the ``umadb``
package's client; :class:`UmaDbBackend` gives a runtime that store and keeps its registries,
API keys and scripts in SQL. Importing this package without ``umadb`` installed raises an
ImportError naming the extra.
"""

from esruntime.backends.umadb.backend import UmaDbBackend
from esruntime.backends.umadb.connection import UmaDbUrl, translate_errors
from esruntime.backends.umadb.store import MAX_APPEND_BYTES, UmaDbEventStore

__all__ = ["MAX_APPEND_BYTES", "UmaDbBackend", "UmaDbEventStore", "UmaDbUrl", "translate_errors"]
