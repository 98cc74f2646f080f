"""The schema registry: a tenant's current ESDL schema, every earlier version, and the rules for
pushing a new one.

A push parses the text (syntax and semantic errors raise), diffs it against the current version,
and refuses changes that break stored events unless forced. Its result is exactly what the HTTP
API sends: :class:`SchemaAccepted` (``version``, ``changes``) or :class:`SchemaRejected`
(``status``, ``breaking_changes``, ``hint``). Backends only store versions; the rules live here.
"""

from __future__ import annotations

import sys
import threading
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from attrs import field, frozen

from esruntime.checks import check_tenant
from esruntime.errors import SchemaRejectedError
from esruntime.schema.changes import (
    EventCounter,
    SchemaChanges,
    SchemaDiff,
    breaking_changes,
    diff_schemas,
)
from esruntime.schema.language import parse_schema
from esruntime.schema.model import Schema
from esruntime.schema.outcomes import REJECTION_HINT, PushResult, SchemaAccepted, SchemaRejected
from esruntime.schema.versions import FIRST_VERSION, next_version

__all__ = [
    "REJECTION_HINT",
    "BaseSchemaRegistry",
    "InMemorySchemaRegistry",
    "PushResult",
    "SchemaAccepted",
    "SchemaRegistry",
    "SchemaRejected",
    "SchemaVersion",
]

MAX_PUSH_ATTEMPTS = 10


@frozen
class SchemaVersion:
    """One pushed version: its number, its text as pushed, the parsed schema and when."""

    version: str
    text: str
    schema: Schema = field(eq=False, repr=False)
    created_at: datetime


@runtime_checkable
class SchemaRegistry(Protocol):
    """One tenant's schema versions."""

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


class BaseSchemaRegistry(ABC):
    """The push rules over an abstract store of versions (see the backends)."""

    def __init__(self, tenant: str, counter: EventCounter) -> None:
        self._tenant = check_tenant(tenant)
        self._counter = counter
        self._parsed: dict[str, Schema] = {}

    @property
    def tenant(self) -> str:
        return self._tenant

    # -- storage, provided by a backend ----------------------------------------------------------

    @abstractmethod
    def _rows(self) -> list[tuple[int, str, str, datetime]]:
        """Every stored (seq, version, text, created_at), in push order."""

    @abstractmethod
    def _latest_row(self) -> tuple[int, str, str, datetime] | None:
        """The last stored (seq, version, text, created_at)."""

    @abstractmethod
    def _insert(self, seq: int, version: str, text: str, created_at: datetime) -> bool:
        """Store a version at ``seq``; False when that seq is taken (a concurrent push won)."""

    # -- the rules -------------------------------------------------------------------------------

    def _version(self, row: tuple[int, str, str, datetime]) -> SchemaVersion:
        _, version, text, created_at = row
        schema = self._parsed.get(text)
        if schema is None:
            # a stored version was accepted once, maybe under a larger limit: it stays readable
            schema = self._parsed[text] = parse_schema(text, max_bytes=sys.maxsize)
        return SchemaVersion(version, text, schema, created_at)

    def current(self) -> SchemaVersion | None:
        row = self._latest_row()
        return None if row is None else self._version(row)

    def schema(self) -> Schema | None:
        """The current schema, or None."""
        current = self.current()
        return None if current is None else current.schema

    def get(self, version: str) -> SchemaVersion | None:
        row = next((r for r in self._rows() if r[1] == version), None)
        return None if row is None else self._version(row)

    def versions(self) -> list[SchemaVersion]:
        return [self._version(row) for row in self._rows()]

    def diff(self, from_version: str, to_version: str) -> SchemaDiff:
        versions = {v.version: v for v in self.versions()}
        missing = [v for v in (from_version, to_version) if v not in versions]
        if missing:
            raise KeyError(f"no schema version {missing[0]!r} for tenant {self._tenant!r}")
        return diff_schemas(versions[from_version].schema, versions[to_version].schema)

    def validate(self, text: str, *, force: bool = False) -> PushResult:
        result, _ = self._plan(text, force, self._latest_row())
        return result

    def push(self, text: str, *, force: bool = False) -> SchemaAccepted:
        for _ in range(MAX_PUSH_ATTEMPTS):
            latest = self._latest_row()
            result, version = self._plan(text, force, latest)
            if isinstance(result, SchemaRejected):
                raise SchemaRejectedError(result)
            if version is None:
                return result  # nothing changed
            seq = 1 if latest is None else latest[0] + 1
            if self._insert(seq, version, text, datetime.now(UTC)):
                return result
            # Another push stored a version meanwhile: decide again against it.
        raise SchemaRejectedError(
            SchemaRejected((), hint="the schema kept changing during the push; try again")
        )

    def _plan(
        self, text: str, force: bool, latest: tuple[int, str, str, datetime] | None
    ) -> tuple[PushResult, str | None]:
        """The result of pushing ``text`` on top of ``latest``, and the version to store."""
        schema = parse_schema(text)
        if latest is None:
            names = tuple(sorted(e.name for e in schema.events))
            return SchemaAccepted(FIRST_VERSION, SchemaChanges(added_events=names)), FIRST_VERSION
        current = self._version(latest)
        if text == current.text:
            return SchemaAccepted(current.version, SchemaChanges()), None
        diff = diff_schemas(current.schema, schema)
        level = diff.level or "patch"  # equal models, other text: comments or layout
        if level == "breaking":
            broken = breaking_changes(diff, self._counter)
            if broken and not force:
                return SchemaRejected(tuple(broken)), None
            # Candidates that no stored event is affected by are ordinary changes.
            level = "breaking" if broken else "minor"
        version = next_version(current.version, level)
        return SchemaAccepted(version, diff.summary), version


class InMemorySchemaRegistry(BaseSchemaRegistry):
    """Schema versions in process memory."""

    def __init__(self, counter: EventCounter, tenant: str = "default") -> None:
        super().__init__(tenant, counter)
        self._stored: list[tuple[int, str, str, datetime]] = []
        self._lock = threading.Lock()

    def _rows(self) -> list[tuple[int, str, str, datetime]]:
        with self._lock:
            return list(self._stored)

    def _latest_row(self) -> tuple[int, str, str, datetime] | None:
        with self._lock:
            return self._stored[-1] if self._stored else None

    def _insert(self, seq: int, version: str, text: str, created_at: datetime) -> bool:
        with self._lock:
            if len(self._stored) + 1 != seq:
                return False
            self._stored.append((seq, version, text, created_at))
            return True
