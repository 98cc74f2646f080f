"""The protocols a backend implements and the domain services depend on.

Storage: :class:`EventStore` (with its idempotency records), :class:`SchemaStorage`,
:class:`HandlerStorage`, :class:`ApiKeyStorage`, :class:`ScriptRepository`,
:class:`ConsumerStore` (durable consumers) and :class:`ScheduleStore` (the scheduler); an engine:
:class:`ScriptRunner`; and :class:`Backend`, which builds a tenant's storage. The services
over them are described by :class:`SchemaRegistry`, :class:`HandlerRegistry` and
:class:`ApiKeyStore`. ``esruntime.testing`` has a contract suite for each storage protocol.
"""

from esruntime.protocols.auth import ApiKeyStorage, ApiKeyStore
from esruntime.protocols.backend import Backend
from esruntime.protocols.consumers import ConsumerStore, DeadLetter, DeadLetterPage
from esruntime.protocols.events import EventStore
from esruntime.protocols.handlers import HandlerRegistry, HandlerStorage
from esruntime.protocols.schedules import ScheduleState, ScheduleStore
from esruntime.protocols.schema import SchemaRegistry, SchemaRow, SchemaStorage
from esruntime.protocols.scripts import ScriptRepository, ScriptRunner, SdkHost, conflict_error

__all__ = [
    "ApiKeyStorage",
    "ApiKeyStore",
    "Backend",
    "ConsumerStore",
    "DeadLetter",
    "DeadLetterPage",
    "EventStore",
    "HandlerRegistry",
    "HandlerStorage",
    "ScheduleState",
    "ScheduleStore",
    "SchemaRegistry",
    "SchemaRow",
    "SchemaStorage",
    "ScriptRepository",
    "ScriptRunner",
    "SdkHost",
    "conflict_error",
]
