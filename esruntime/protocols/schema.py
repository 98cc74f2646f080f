"""The schema registry and the storage of its versions.

:class:`SchemaStorage` is what a backend implements: one tenant's stored versions, appended
under a sequence number. :class:`SchemaRegistry` is what the schema service
(:class:`esruntime.schema.registry.SchemaService`) offers on top of it: the push rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from esruntime.schema.changes import SchemaDiff
    from esruntime.schema.model import Schema
    from esruntime.schema.registry import PushResult, SchemaAccepted, SchemaVersion

__all__ = ["SchemaRegistry", "SchemaRow", "SchemaStorage"]

SchemaRow = tuple[int, str, str, datetime]
"""A stored schema version: ``(seq, version, text, created_at)``; ``seq`` counts from 1."""


@runtime_checkable
class SchemaStorage(Protocol):
    """One tenant's stored schema versions, in push order.

    ``insert`` is the only write and must be atomic: of two inserts at the same ``seq`` exactly
    one succeeds, and the other returns False (the service then decides again).
    """

    @property
    def tenant(self) -> str: ...

    def rows(self) -> list[SchemaRow]:
        """Every stored version, in ``seq`` order."""
        ...

    def latest(self) -> SchemaRow | None:
        """The version with the largest ``seq``, or None before the first push."""
        ...

    def insert(self, row: SchemaRow) -> bool:
        """Store ``row``; False, with nothing stored, when its ``seq`` is taken."""
        ...


@runtime_checkable
class SchemaRegistry(Protocol):
    """One tenant's schema versions and the rules for pushing a new one."""

    @property
    def tenant(self) -> str: ...

    def current(self) -> SchemaVersion | None:
        """The latest version, or None before the first push."""
        ...

    def schema(self) -> Schema | None:
        """The current schema, or None before the first push."""
        ...

    def get(self, version: str) -> SchemaVersion | None:
        """A version by its number."""
        ...

    def versions(self) -> list[SchemaVersion]:
        """Every version, oldest first."""
        ...

    def diff(self, from_version: str, to_version: str) -> SchemaDiff:
        """What changed between two stored versions."""
        ...

    def validate(self, text: str, *, force: bool = False) -> PushResult:
        """What pushing ``text`` would do, without storing anything (the dry run)."""
        ...

    def push(self, text: str, *, force: bool = False) -> SchemaAccepted:
        """Store ``text`` as the next version; raise SchemaRejectedError on breaking changes."""
        ...
