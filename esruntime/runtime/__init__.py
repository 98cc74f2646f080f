"""The runtime facade: tenants and the wiring of the services a host application uses."""

from esruntime.backends.memory.backend import MemoryBackend
from esruntime.backends.sql.backend import SqlBackend
from esruntime.protocols.backend import Backend
from esruntime.runtime.modules import ModuleCache
from esruntime.runtime.runtime import Runtime
from esruntime.runtime.tenant import HandlerInfo, Tenant

__all__ = [
    "Backend",
    "HandlerInfo",
    "MemoryBackend",
    "ModuleCache",
    "Runtime",
    "SqlBackend",
    "Tenant",
]
