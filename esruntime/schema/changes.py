"""What changed between two schemas, and which changes break the tenant's stored events.

The diff is structural: an event changes when its own fields change or when a ``type`` or
``enum`` it uses (directly, in arrays or nested types) changes. Each change is classified:

- ``patch``: only docs or declaration/field order;
- ``minor``: additions (events, types, enum variants, optional fields, fields with defaults),
  required → optional, new or changed defaults, removal of what no event uses;
- ``breaking`` candidates: a removed field or event, a changed type, optional → required, a
  required field without default, a removed enum variant, ``@`` added or removed. A candidate
  breaks only when stored events are affected: a removed top-level field counts the events that
  carry it; every other candidate counts the events of the event types it touches (a nested
  field or an enum value cannot be counted in the store, so any event of the type counts).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Protocol

from attrs import frozen

from esruntime.schema.model import EnumDecl, EventDecl, Field, Schema, TypeDecl, TypeRef

__all__ = [
    "BreakingChange",
    "Change",
    "EventCounter",
    "SchemaChanges",
    "SchemaDiff",
    "breaking_changes",
    "diff_schemas",
]

Level = Literal["patch", "minor", "breaking"]


class EventCounter(Protocol):
    """The part of an event store the breaking-change check needs."""

    def count(self, event_type: str, *, having_field: str | None = None) -> int: ...


@frozen
class Change:
    """One difference between two versions of an event (``field`` is a dotted path or None)."""

    event: str
    change: str
    field: str | None
    level: Level
    detail: str


@frozen
class SchemaChanges:
    """The ``changes`` object of ``PUT /schema``: event names, each list sorted."""

    added_events: tuple[str, ...] = ()
    modified_events: tuple[str, ...] = ()
    removed_events: tuple[str, ...] = ()


@frozen
class SchemaDiff:
    """Every change from one schema to another, the event summary, and the bump it calls for."""

    changes: tuple[Change, ...]
    summary: SchemaChanges
    docs_or_order_changed: bool

    @property
    def level(self) -> Level | None:
        """The largest change level, None when nothing changed at all."""
        levels = {change.level for change in self.changes}
        order: tuple[Level, ...] = ("breaking", "minor", "patch")
        for level in order:
            if level in levels:
                return level
        return "patch" if self.docs_or_order_changed else None


@frozen
class BreakingChange:
    """An item of ``breaking_changes`` in a rejected push, as the HTTP API sends it."""

    event: str
    change: str
    field: str | None
    message: str


def diff_schemas(old: Schema, new: Schema) -> SchemaDiff:
    """The changes from ``old`` to ``new``."""
    changes: list[Change] = []
    added, modified, removed = [], [], []
    for event in old.events:
        if new.event(event.name) is None:
            removed.append(event.name)
            changes.append(Change(event.name, "removed_event", None, "breaking", "the event"))
    for event in new.events:
        before = old.event(event.name)
        if before is None:
            added.append(event.name)
            changes.append(Change(event.name, "added_event", None, "minor", "the event"))
            continue
        event_changes = list(_event_changes(before, event, old, new))
        if event_changes:
            modified.append(event.name)
            changes.extend(event_changes)
    for kind, old_decls, new_decls in (
        ("type", old.types, new.types),
        ("enum", old.enums, new.enums),
    ):
        old_names = {d.name for d in old_decls}
        new_names = {d.name for d in new_decls}
        # Declarations that no event uses still change the version (minor) when added/removed.
        changes.extend(
            Change("", f"added_{kind}", name, "minor", f"{kind} {name}")
            for name in sorted(new_names - old_names)
        )
        changes.extend(
            Change("", f"removed_{kind}", name, "minor", f"{kind} {name}")
            for name in sorted(old_names - new_names)
        )
    docs_or_order = _docs_or_order_changed(old, new)
    summary = SchemaChanges(tuple(sorted(added)), tuple(sorted(modified)), tuple(sorted(removed)))
    return SchemaDiff(tuple(changes), summary, docs_or_order)


def breaking_changes(diff: SchemaDiff, counter: EventCounter) -> list[BreakingChange]:
    """The breaking candidates of ``diff`` that stored events are affected by, with counts."""
    found = []
    for change in diff.changes:
        if change.level != "breaking":
            continue
        if change.change == "removed_field" and change.field and "." not in change.field:
            count = counter.count(change.event, having_field=change.field)
        else:
            count = counter.count(change.event)
        if count:
            found.append(
                BreakingChange(change.event, change.change, change.field, _message(change, count))
            )
    return found


def _message(change: Change, count: int) -> str:
    n = f"{count:,}"
    field = change.field
    messages = {
        "removed_event": f"Cannot remove event '{change.event}' - {n} events exist of this type",
        "removed_field": f"Cannot remove field '{field}' - {n} events exist with this field",
        "changed_type": f"Cannot change the type of field '{field}' ({change.detail}) - "
        f"{n} {change.event} events exist",
        "made_required": f"Cannot make field '{field}' required - {n} {change.event} events exist",
        "added_required_field": f"Cannot add required field '{field}' without a default - "
        f"{n} {change.event} events exist",
        "removed_enum_variant": f"Cannot remove {change.detail} used by field '{field}' - "
        f"{n} {change.event} events exist",
        "added_domain_id": f"Cannot make field '{field}' a domain id (@) - it would change the "
        f"tags of {n} {change.event} events",
        "removed_domain_id": f"Cannot remove '@' from field '{field}' - it would change the tags "
        f"of {n} {change.event} events",
    }
    return messages.get(change.change, f"Cannot change field '{field}' - {n} events exist")


def _event_changes(
    old: EventDecl, new: EventDecl, old_s: Schema, new_s: Schema
) -> Iterator[Change]:
    yield from _fields_changes(new.name, "", old.fields, new.fields, old_s, new_s, frozenset())


def _fields_changes(
    event: str,
    prefix: str,
    old_fields: tuple[Field, ...],
    new_fields: tuple[Field, ...],
    old_s: Schema,
    new_s: Schema,
    seen: frozenset[str],
) -> Iterator[Change]:
    old_by_name = {f.name: f for f in old_fields}
    new_by_name = {f.name: f for f in new_fields}
    for f in old_fields:
        if f.name not in new_by_name:
            yield Change(event, "removed_field", prefix + f.name, "breaking", "the field")
    for f in new_fields:
        path = prefix + f.name
        before = old_by_name.get(f.name)
        if before is None:
            if f.type.optional or f.default is not None:
                yield Change(event, "added_field", path, "minor", str(f.type))
            else:
                yield Change(event, "added_required_field", path, "breaking", str(f.type))
            continue
        if before.domain_id != f.domain_id:
            code = "added_domain_id" if f.domain_id else "removed_domain_id"
            yield Change(event, code, path, "breaking", "@")
        if before.default != f.default:
            yield Change(event, "changed_default", path, "minor", "the default")
        yield from _type_changes(event, path, before.type, f.type, old_s, new_s, seen)


def _type_changes(
    event: str,
    path: str,
    old: TypeRef,
    new: TypeRef,
    old_s: Schema,
    new_s: Schema,
    seen: frozenset[str],
) -> Iterator[Change]:
    if old.optional and not new.optional:
        yield Change(event, "made_required", path, "breaking", f"{old} to {new}")
    elif new.optional and not old.optional:
        yield Change(event, "made_optional", path, "minor", f"{old} to {new}")
    if old.is_array != new.is_array or (not old.is_array and old.name != new.name):
        yield Change(event, "changed_type", path, "breaking", f"from {old} to {new}")
        return
    if old.item is not None and new.item is not None:
        yield from _type_changes(event, path + "[]", old.item, new.item, old_s, new_s, seen)
        return
    name = str(old.name)
    if name in seen:
        return  # a recursive type: its fields are being compared further up
    old_decl: TypeDecl | EnumDecl | None = old_s.type(name) or old_s.enum(name)
    new_decl: TypeDecl | EnumDecl | None = new_s.type(name) or new_s.enum(name)
    if isinstance(old_decl, EnumDecl) and isinstance(new_decl, EnumDecl):
        for variant in old_decl.variants:
            if variant not in new_decl.variants:
                detail = f"variant '{variant}' of enum {name}"
                yield Change(event, "removed_enum_variant", path, "breaking", detail)
        for variant in new_decl.variants:
            if variant not in old_decl.variants:
                yield Change(event, "added_enum_variant", path, "minor", variant)
    elif isinstance(old_decl, TypeDecl) and isinstance(new_decl, TypeDecl):
        seen = seen | {name}
        yield from _fields_changes(
            event, path + ".", old_decl.fields, new_decl.fields, old_s, new_s, seen
        )
    elif type(old_decl) is not type(new_decl):
        # The name now means something else (a type became an enum, or vanished).
        yield Change(event, "changed_type", path, "breaking", f"{name} is now a different kind")


def _docs_or_order_changed(old: Schema, new: Schema) -> bool:
    """Whether anything outside the diff's reach differs: docs, or the order of declarations
    or fields (the models compare equal only when both are the same)."""
    return old != new
