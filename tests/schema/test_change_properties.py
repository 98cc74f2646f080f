"""Properties of schema diffs on generated schemas and stored events."""

from __future__ import annotations

import uuid

from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esruntime import Event, InMemoryEventStore
from esruntime.schema import EventDecl, Field, Schema, TypeRef, diff_schemas
from esruntime.schema.changes import breaking_changes
from esruntime.testing import event_data, schemas


@settings(max_examples=100)
@given(schemas())
def test_a_schema_has_no_changes_against_itself(schema: Schema) -> None:
    diff = diff_schemas(schema, schema)
    assert diff.changes == ()
    assert diff.level is None


def grown(schema: Schema, target: int) -> Schema:
    """``schema`` with an optional field added to one event and a new event added."""
    event = schema.events[target % len(schema.events)]
    names = {f.name for f in event.fields}
    extra = next(f"added_{n}" for n in range(100) if f"added_{n}" not in names)
    changed = evolve(event, fields=(*event.fields, Field(extra, TypeRef("String", optional=True))))
    taken = (
        {e.name for e in schema.events}
        | {t.name for t in schema.types}
        | {e.name for e in schema.enums}
    )
    new_name = next(f"Added{n}" for n in range(100) if f"Added{n}" not in taken)
    events = tuple(changed if e.name == event.name else e for e in schema.events)
    return evolve(schema, events=(*events, EventDecl(new_name, (Field("x", TypeRef("Int")),))))


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_adding_optional_fields_or_events_is_never_breaking(data: st.DataObject) -> None:
    schema = data.draw(schemas(), label="schema")
    store = InMemoryEventStore(f"t-{uuid.uuid4().hex}")
    for event in schema.events:  # every event type has stored events
        store.append(Event(event.name, data.draw(event_data(schema, event.name))))
    new = grown(schema, data.draw(st.integers(0, 10), label="target"))
    diff = diff_schemas(schema, new)
    assert diff.level == "minor"
    assert breaking_changes(diff, store) == []
    assert len(diff.summary.added_events) == 1
    assert len(diff.summary.modified_events) == 1
