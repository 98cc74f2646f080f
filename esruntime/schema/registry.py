"""The schema registry: a tenant's current ESDL schema, every earlier version, and the rules for
pushing a new one.

A push parses the text (syntax and semantic errors raise), diffs it against the current version,
and refuses changes that break stored events unless forced. Its result is exactly what the HTTP
API sends: :class:`SchemaAccepted` (``version``, ``changes``) or :class:`SchemaRejected`
(``status``, ``breaking_changes``, ``hint``). Backends only store versions
(:class:`~esruntime.protocols.SchemaStorage`); the rules live here, in :class:`SchemaService`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from attrs import field, frozen

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

if TYPE_CHECKING:
    from esruntime.protocols.schema import SchemaRow, SchemaStorage

__all__ = [
    "REJECTION_HINT",
    "PushResult",
    "SchemaAccepted",
    "SchemaRejected",
    "SchemaService",
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


class SchemaService:
    """One tenant's schema registry: the push rules over a backend's stored versions.

    ``counter`` answers the breaking-change checks (how many stored events a change breaks):
    usually the tenant's event store. Concurrent pushes are safe: a push that loses the race for
    the next ``seq`` decides again against the version that won.
    """

    def __init__(self, storage: SchemaStorage, counter: EventCounter) -> None:
        self._storage = storage
        self._counter = counter
        self._parsed: dict[str, Schema] = {}

    @property
    def tenant(self) -> str:
        return self._storage.tenant

    @property
    def storage(self) -> SchemaStorage:
        """Where the versions are kept."""
        return self._storage

    def _version(self, row: SchemaRow) -> SchemaVersion:
        _, version, text, created_at = row
        schema = self._parsed.get(text)
        if schema is None:
            # a stored version was accepted once, maybe under a larger limit: it stays readable
            schema = self._parsed[text] = parse_schema(text, max_bytes=sys.maxsize)
        return SchemaVersion(version, text, schema, created_at)

    def current(self) -> SchemaVersion | None:
        row = self._storage.latest()
        return None if row is None else self._version(row)

    def schema(self) -> Schema | None:
        """The current schema, or None."""
        current = self.current()
        return None if current is None else current.schema

    def get(self, version: str) -> SchemaVersion | None:
        row = next((r for r in self._storage.rows() if r[1] == version), None)
        return None if row is None else self._version(row)

    def versions(self) -> list[SchemaVersion]:
        return [self._version(row) for row in self._storage.rows()]

    def diff(self, from_version: str, to_version: str) -> SchemaDiff:
        versions = {v.version: v for v in self.versions()}
        missing = [v for v in (from_version, to_version) if v not in versions]
        if missing:
            raise KeyError(f"no schema version {missing[0]!r} for tenant {self.tenant!r}")
        return diff_schemas(versions[from_version].schema, versions[to_version].schema)

    def validate(self, text: str, *, force: bool = False) -> PushResult:
        result, _ = self._plan(text, force, self._storage.latest())
        return result

    def push(self, text: str, *, force: bool = False) -> SchemaAccepted:
        for _ in range(MAX_PUSH_ATTEMPTS):
            latest = self._storage.latest()
            result, version = self._plan(text, force, latest)
            if isinstance(result, SchemaRejected):
                raise SchemaRejectedError(result)
            if version is None:
                return result  # nothing changed
            seq = 1 if latest is None else latest[0] + 1
            if self._storage.insert((seq, version, text, datetime.now(UTC))):
                return result
            # Another push stored a version meanwhile: decide again against it.
        raise SchemaRejectedError(
            SchemaRejected((), hint="the schema kept changing during the push; try again")
        )

    def _plan(
        self, text: str, force: bool, latest: SchemaRow | None
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
