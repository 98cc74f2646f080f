"""The SQL schema of the event store, shared by SQLite and PostgreSQL.

- ``esr_tenants`` names the tenants. A tenant's head is the largest position of its events:
  appends are serialized per tenant (SQLite's single writer; a transaction-scoped advisory lock
  on PostgreSQL, which writes nothing), so positions are gapless, never reused (events are never
  deleted), and a position is visible only after every smaller one.
- ``esr_events`` holds events, clustered by ``(tenant_id, position)``; ``tags`` is a copy of the
  event's tags joined by U+001F (tags cannot contain control characters), so a read needs no join.
- ``esr_event_tags`` has one row per (event, tag) with the event's type, keyed by
  ``(tenant_id, tag, position)``: a tag-filtered read is a range scan of this index, and a
  tag-and-type item is answered without touching the events.
- ``esr_schedules`` has one row per scheduled script: its next due time and the lease of the
  process running it (:mod:`esruntime.protocols.schedules`).
- ``esr_consumers`` keeps each durable consumer's checkpoint and lease, ``esr_dead_letters`` the
  events they gave up on (``esruntime.consumers``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = [
    "TAG_SEPARATOR",
    "api_keys",
    "consumers",
    "current_handlers",
    "dead_letters",
    "event_tags",
    "events",
    "handler_executions",
    "handlers",
    "idempotency",
    "metadata",
    "schedules",
    "schema_versions",
    "script_executions",
    "script_versions",
    "scripts",
    "tenants",
]

TAG_SEPARATOR = "\x1f"

metadata = MetaData()

_json = Text().with_variant(JSONB(), "postgresql")

tenants = Table(
    "esr_tenants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
)

events = Table(
    "esr_events",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("type", String(200), nullable=False),
    Column("tags", Text, nullable=False),
    Column("data", _json, nullable=False),
    Column("metadata", _json, nullable=False),
    Column("recorded_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    PrimaryKeyConstraint("tenant_id", "position", name="esr_events_pk"),
    Index("esr_events_event_id", "tenant_id", "event_id", unique=True),
    Index("esr_events_type", "tenant_id", "type", "position"),
)

event_tags = Table(
    "esr_event_tags",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("tag", String(500), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("type", String(200), nullable=False),
    PrimaryKeyConstraint("tenant_id", "tag", "position", name="esr_event_tags_pk"),
    sqlite_with_rowid=False,
)

schema_versions = Table(
    "esr_schema_versions",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("seq", Integer, nullable=False, comment="1, 2, 3... per tenant: the push order"),
    Column("version", String(50), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    PrimaryKeyConstraint("tenant_id", "seq", name="esr_schema_versions_pk"),
    Index("esr_schema_versions_version", "tenant_id", "version", unique=True),
)

idempotency = Table(
    "esr_idempotency",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("key", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("result", Text, nullable=False, comment="the first result, JSON"),
    Column("created_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    PrimaryKeyConstraint("tenant_id", "key", name="esr_idempotency_pk"),
)

api_keys = Table(
    "esr_api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True, comment="the public part of the key"),
    Column("tenant", String(200), nullable=False, comment="the tenant's name"),
    Column("name", String(200), nullable=False),
    Column("permissions", Text, nullable=False, comment="JSON array"),
    Column("digest", String(64), nullable=False, comment="sha256 of the whole key, hex"),
    Column("created_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    Column("revoked_at", BigInteger, comment="microseconds since the epoch, UTC"),
    Index("esr_api_keys_tenant", "tenant"),
)

handlers = Table(
    "esr_handlers",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("seq", Integer, nullable=False, comment="1, 2, 3... per handler: the upload order"),
    Column("version", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("manifest", Text, nullable=False, comment="the manifest's JSON document"),
    Column("module", LargeBinary, nullable=False),
    Column("uploaded_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    PrimaryKeyConstraint("tenant_id", "name", "seq", name="esr_handlers_pk"),
    Index("esr_handlers_version", "tenant_id", "name", "version", unique=True),
)

current_handlers = Table(
    "esr_handler_current",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("seq", Integer, nullable=False, comment="the esr_handlers row that runs the commands"),
    PrimaryKeyConstraint("tenant_id", "name", name="esr_handler_current_pk"),
    comment="A handler without a row here (stored before rollbacks existed) runs its latest seq",
)

handler_executions = Table(
    "esr_handler_executions",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("hour", Integer, nullable=False, comment="hours since the epoch, UTC"),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "name", "hour", name="esr_handler_executions_pk"),
)

scripts = Table(
    "esr_scripts",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("id", String(36), nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("type", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("cron_expression", String(200)),
    Column("timezone", String(64), nullable=False),
    Column("http_path", String(500)),
    Column("http_methods", Text, nullable=False, comment="JSON array"),
    Column("event_types", Text, nullable=False, comment="JSON array"),
    Column("limits", Text, nullable=False, comment="JSON object"),
    Column("version", Integer, nullable=False, comment="the version whose source this is"),
    Column("created_by", String(200)),
    Column("created_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    Column("updated_by", String(200)),
    Column("updated_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    Column(
        "public",
        Boolean,
        nullable=False,
        server_default=false(),
        comment="an http script's route runs without an API key",
    ),
    PrimaryKeyConstraint("tenant_id", "id", name="esr_scripts_pk"),
    Index("esr_scripts_name", "tenant_id", "name", unique=True),
    Index("esr_scripts_http_path", "tenant_id", "http_path", unique=True),
)

script_versions = Table(
    "esr_script_versions",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("script_id", String(36), nullable=False),
    Column("version", Integer, nullable=False, comment="1, 2, 3... per script"),
    Column("source", Text, nullable=False),
    Column("created_by", String(200)),
    Column("created_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    Column("restored_from", Integer, comment="the version a rollback copied"),
    PrimaryKeyConstraint("tenant_id", "script_id", "version", name="esr_script_versions_pk"),
)

script_executions = Table(
    "esr_script_executions",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("id", String(36), nullable=False),
    Column("script_id", String(36), nullable=False),
    Column("script_version", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("trigger", Text, nullable=False, comment="JSON: the script's context.trigger"),
    Column("input", Text, nullable=False, comment="JSON"),
    Column("output", Text, comment="JSON"),
    Column("error", Text, comment="JSON: name, message, line, column, stack"),
    Column("logs", Text, nullable=False, comment="JSON array of sdk.log lines"),
    Column("metrics", Text, nullable=False, comment="JSON object"),
    Column("user_id", Text, comment="JSON: a string or a number"),
    Column("created_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    Column("started_at", BigInteger),
    Column("completed_at", BigInteger),
    Column("event_id", String(200), comment="an event run's event (added later: may be missing)"),
    PrimaryKeyConstraint("tenant_id", "id", name="esr_script_executions_pk"),
    Index("esr_script_executions_script", "tenant_id", "script_id", "created_at"),
    Index("esr_script_executions_status", "tenant_id", "script_id", "status"),
    Index("esr_script_executions_event", "tenant_id", "script_id", "event_id"),
)

schedules = Table(
    "esr_schedules",
    metadata,
    Column("script_id", String(36), nullable=False),
    Column("tenant_id", Integer, nullable=False),
    Column("schedule", String(300), nullable=False, comment="expression TAB timezone; '' if off"),
    Column("next_due", BigInteger, comment="microseconds since the epoch, UTC"),
    Column("last_tick", BigInteger),
    Column("lease_owner", String(200)),
    Column("lease_expires", BigInteger),
    Column("claimed_at", BigInteger),
    Column("running_tick", BigInteger, comment="the tick the lease holder runs"),
    PrimaryKeyConstraint("script_id", name="esr_schedules_pk"),
    Index("esr_schedules_due", "next_due"),
)

consumers = Table(
    "esr_consumers",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("position", BigInteger, nullable=False, comment="the last event whose work is recorded"),
    Column("owner", String(200), comment="who holds the lease, if anyone"),
    Column(
        "lease_expires", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"
    ),
    PrimaryKeyConstraint("tenant_id", "name", name="esr_consumers_pk"),
)

dead_letters = Table(
    "esr_dead_letters",
    metadata,
    Column("tenant_id", Integer, nullable=False),
    Column("id", String(36), nullable=False),
    Column("consumer", String(200), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False, comment="microseconds since the epoch, UTC"),
    PrimaryKeyConstraint("tenant_id", "id", name="esr_dead_letters_pk"),
    Index("esr_dead_letters_consumer", "tenant_id", "consumer", "position"),
)
