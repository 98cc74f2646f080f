"""Generated event data is what the validator accepts, and what every store gives back."""

from __future__ import annotations

import copy
import json
import math
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import esruntime.testing
from esruntime import Event, EventStore, InMemoryEventStore, SqlEventStore
from esruntime.backends.sql import create_store_engine
from esruntime.errors import SchemaError
from esruntime.schema.model import EventDecl, Schema, TypeDecl
from esruntime.schema.validation import violations
from esruntime.testing import event_data
from esruntime.testing.schemas import schemas as shipped_schemas
from tests.schema.data_schemas import SHOP, field, located, path_of, present_fields, schemas

any_schema = st.one_of(st.just(SHOP), schemas(), shipped_schemas())
"""The fixed schema, this suite's random ones, and those of the strategy esruntime ships."""


def canonical(data: Any) -> str:
    """JSON text that tells 1 from 1.0 and true from 1, whatever the key order."""
    return json.dumps(data, sort_keys=True, allow_nan=False, ensure_ascii=False)


def leaves(value: Any) -> Iterator[Any]:
    """Every scalar in a JSON value, keys included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


@given(any_schema, st.data())
def test_generated_data_is_accepted(schema: Schema, data: st.DataObject) -> None:
    event = data.draw(st.sampled_from(schema.events))
    datum = data.draw(event_data(schema, event.name))

    assert violations(schema, event.name, datum) == []


@given(any_schema, st.data())
def test_generated_data_without_one_required_field_is_refused_at_that_field(
    schema: Schema, data: st.DataObject
) -> None:
    event = data.draw(st.sampled_from(schema.events))
    datum = data.draw(event_data(schema, event.name))
    located_fields = present_fields(schema, event.name, datum)
    required = [(steps, f) for steps, f in located_fields if not f.type.optional]
    if not required:
        return
    steps, removed = data.draw(st.sampled_from(required))

    damaged = copy.deepcopy(datum)
    del located(damaged, steps)[removed.name]

    path = path_of([*steps, removed.name])
    assert violations(schema, event.name, damaged) == [(path, "required field is missing")]


@given(any_schema, st.data())
def test_generated_data_is_plain_json_that_postgres_and_tags_can_hold(
    schema: Schema, data: st.DataObject
) -> None:
    event = data.draw(st.sampled_from(schema.events))
    datum = data.draw(event_data(schema, event.name))

    text = canonical(datum)
    assert canonical(json.loads(text)) == text
    for value in leaves(datum):
        if isinstance(value, float):  # what jsonb would turn into an int, or into 0.0
            assert abs(value) < 1e16
            assert math.copysign(1.0, value) == 1.0 or value != 0.0
        if isinstance(value, str):
            assert "\x00" not in value
            value.encode("utf-8")  # no lone surrogate
    tags = [
        f"{f.name}:{datum[f.name]}"
        for f in event.fields
        if f.domain_id and datum.get(f.name) is not None
    ]
    Event(event.name, datum, tags)  # every domain id makes a valid tag


COVERAGE: list[tuple[str, Callable[[Any], bool]]] = [
    ("an optional field left out", lambda d: "note" not in d),
    ("an optional field set to null", lambda d: "note" in d and d["note"] is None),
    ("an optional field with a value", lambda d: isinstance(d.get("note"), str)),
    ("a Float holding a fraction", lambda d: not float(d["ratio"]).is_integer()),
    ("a Float holding an integer", lambda d: type(d["ratio"]) is int),
    ("a Long beyond 32 bits", lambda d: abs(d["total"]) > 2**31),
    ("a non-ASCII string", lambda d: any(ord(c) > 127 for c in d["customer"])),
    ("a timestamp in UTC, written Z", lambda d: d["placed_at"].endswith("Z")),
    ("a timestamp with an offset", lambda d: d["placed_at"][-6] in "+-"),
    ("a timestamp with a fraction", lambda d: "." in d["placed_at"]),
    ("non-empty bytes", lambda d: len(d["receipt"]) > 4),
    ("each enum variant, here GBP", lambda d: d["currency"] == "GBP"),
    ("a Json object", lambda d: isinstance(d["extra"], dict) and len(d["extra"]) > 1),
    ("a Json array", lambda d: isinstance(d["extra"], list) and len(d["extra"]) > 1),
    ("several lines", lambda d: len(d["lines"]) >= 2),
    ("a priced line", lambda d: any(line.get("price") is not None for line in d["lines"])),
    ("a null item in [Int?]", lambda d: None in d["maybe"]),
    ("a matrix row", lambda d: any(d.get("matrix") or [])),
    ("a category with a parent", lambda d: (d.get("category") or {}).get("parent") is not None),
]


def test_generated_data_covers_every_corner_of_the_schema() -> None:
    seen: set[str] = set()

    @settings(max_examples=400, phases=[Phase.generate], derandomize=True)
    @given(event_data(SHOP, "Everything"))
    def sample(datum: dict[str, Any]) -> None:
        seen.update(what for what, example in COVERAGE if example(datum))

    sample()
    assert [what for what, _ in COVERAGE if what not in seen] == []


def test_an_unknown_event_type_is_a_schema_error_naming_the_known_ones() -> None:
    with pytest.raises(SchemaError, match="no event type 'Nope' \\(it has: Everything, Opened"):
        event_data(SHOP, "Nope")


def test_a_type_that_requires_itself_has_no_data_and_says_so() -> None:
    loop = Schema(
        events=(EventDecl("E", (field("loop", "Loop"),)),),
        types=(TypeDecl("Loop", (field("again", "Loop"),)),),
    )
    with pytest.raises(SchemaError, match="type 'Loop' contains itself through required fields"):
        event_data(loop, "E")


def test_event_data_is_part_of_the_testing_surface() -> None:
    assert "event_data" in esruntime.testing.__all__
    assert esruntime.testing.__all__ == sorted(esruntime.testing.__all__)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def fresh_store(
    request: pytest.FixtureRequest, tmp_path: Any
) -> Iterator[Callable[[], EventStore]]:
    """Makes an empty store: a new tenant each time, on one database per test."""

    def tenant() -> str:
        return f"t-{uuid.uuid4()}"

    if request.param == "memory":
        yield lambda: InMemoryEventStore(tenant=tenant())
        return
    if request.param == "postgres":
        engine = request.getfixturevalue("postgres_engine")
        assert isinstance(engine, sqlalchemy.Engine)
        yield lambda: SqlEventStore(engine, tenant=tenant())
        return
    engine = create_store_engine(f"sqlite:///{tmp_path}/e.db")
    yield lambda: SqlEventStore(engine, tenant=tenant())
    engine.dispose()


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=60,
)
@given(schema=any_schema, data=st.data())
def test_accepted_data_comes_back_from_every_store_unchanged(
    fresh_store: Callable[[], EventStore], schema: Schema, data: st.DataObject
) -> None:
    event = data.draw(st.sampled_from(schema.events))
    datum = data.draw(event_data(schema, event.name))
    assert violations(schema, event.name, datum) == []

    store = fresh_store()
    store.append(Event(event.name, datum))
    (stored,) = store.read()

    assert canonical(stored.data) == canonical(datum)
    assert violations(schema, event.name, stored.data) == []
