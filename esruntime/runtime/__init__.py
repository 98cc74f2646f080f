"""The runtime facade: tenants and the wiring of the services a host application uses."""

from esruntime.runtime.backends import Backend, MemoryBackend, SqlBackend, backend_for_url
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
    "backend_for_url",
]
