"""Schema diffs: every change rule of docs/esdl.md, both ways (breaking with stored events, not
breaking without them)."""

from __future__ import annotations

import pytest
from attrs import evolve

from esruntime import Event, InMemoryEventStore
from esruntime.schema.changes import breaking_changes, diff_schemas
from esruntime.schema.model import Default, EnumDecl, EventDecl, Field, Schema, TypeDecl, TypeRef

S = TypeRef("String")
F = TypeRef("Float")
OPT_S = TypeRef("String", optional=True)

SENT = EventDecl(
    "SentFunds",
    (
        Field("account_id", S, domain_id=True),
        Field("amount", F),
        Field("recipient_id", OPT_S, True),
    ),
)
MOVED = EventDecl(
    "Moved",
    (
        Field("account_id", S, domain_id=True),
        Field("address", TypeRef("Address")),
        Field("currency", TypeRef("Currency")),
        Field("history", TypeRef(item=TypeRef("Address"))),
    ),
)
ADDRESS = TypeDecl("Address", (Field("street", S), Field("city", S)))
CURRENCY = EnumDecl("Currency", ("EUR", "USD", "GBP"))
BASE = Schema(events=(SENT, MOVED), types=(ADDRESS,), enums=(CURRENCY,))


def with_event(schema: Schema, event: EventDecl) -> Schema:
    return evolve(schema, events=tuple(event if e.name == event.name else e for e in schema.events))


def with_fields(event: EventDecl, *fields: Field) -> EventDecl:
    return evolve(event, fields=fields)


def store_with(*events: Event) -> InMemoryEventStore:
    store = InMemoryEventStore()
    if events:
        store.append(list(events))
    return store


def sent(**data: object) -> Event:
    return Event("SentFunds", {"account_id": "a", "amount": 1.0, **data}, ["account_id:a"])


def moved() -> Event:
    address = {"street": "s", "city": "c"}
    data = {"account_id": "a", "address": address, "currency": "GBP", "history": [address]}
    return Event("Moved", data, ["account_id:a"])


def codes(old: Schema, new: Schema, store: InMemoryEventStore) -> list[tuple[str, str | None]]:
    return [(b.change, b.field) for b in breaking_changes(diff_schemas(old, new), store)]


def test_the_same_schema_has_no_changes() -> None:
    diff = diff_schemas(BASE, BASE)
    assert diff.changes == ()
    assert diff.level is None
    assert diff.summary.added_events == diff.summary.modified_events == ()


def test_docs_and_order_are_a_patch() -> None:
    documented = with_event(BASE, evolve(SENT, doc="Money left the account."))
    reordered = evolve(BASE, events=(MOVED, SENT))
    for new in (documented, reordered):
        diff = diff_schemas(BASE, new)
        assert diff.changes == ()
        assert diff.level == "patch"


def test_removing_a_field_that_stored_events_carry_is_breaking_with_their_count() -> None:
    new = with_event(BASE, with_fields(SENT, *SENT.fields[:2]))
    store = store_with(*(sent(recipient_id="b") for _ in range(1847)), sent())
    [change] = breaking_changes(diff_schemas(BASE, new), store)
    assert (change.event, change.change, change.field) == (
        "SentFunds",
        "removed_field",
        "recipient_id",
    )
    assert (
        change.message == "Cannot remove field 'recipient_id' - 1,847 events exist with this field"
    )


def test_removing_a_field_no_stored_event_carries_is_not_breaking() -> None:
    new = with_event(BASE, with_fields(SENT, *SENT.fields[:2]))
    assert codes(BASE, new, store_with(sent(), sent())) == []
    diff = diff_schemas(BASE, new)
    assert diff.summary.modified_events == ("SentFunds",)


def test_removing_an_event_type() -> None:
    new = evolve(BASE, events=(MOVED,))
    [change] = breaking_changes(diff_schemas(BASE, new), store_with(sent(), sent()))
    assert change.message == "Cannot remove event 'SentFunds' - 2 events exist of this type"
    assert codes(BASE, new, store_with(moved())) == []
    assert diff_schemas(BASE, new).summary.removed_events == ("SentFunds",)


@pytest.mark.parametrize(
    ("new_field", "code"),
    [
        (Field("amount", TypeRef("String")), "changed_type"),
        (Field("amount", TypeRef(item=F)), "changed_type"),
        (Field("recipient_id", S, domain_id=True), "made_required"),
        (Field("account_id", S, domain_id=False), "removed_domain_id"),
        (Field("amount", F, domain_id=False), None),  # unchanged
    ],
)
def test_field_changes_break_stored_events_only(new_field: Field, code: str | None) -> None:
    fields = tuple(new_field if f.name == new_field.name else f for f in SENT.fields)
    new = with_event(BASE, with_fields(SENT, *fields))
    expected = [] if code is None else [(code, new_field.name)]
    assert codes(BASE, new, store_with(sent())) == expected
    assert codes(BASE, new, store_with(moved())) == []


def test_making_a_field_a_domain_id_is_breaking_with_stored_events() -> None:
    fields = (SENT.fields[0], Field("amount", F), Field("recipient_id", OPT_S, domain_id=False))
    new = with_event(BASE, with_fields(SENT, *fields))
    assert codes(BASE, new, store_with(sent())) == [("removed_domain_id", "recipient_id")]
    back = codes(new, BASE, store_with(sent()))
    assert back == [("added_domain_id", "recipient_id")]
    [change] = breaking_changes(diff_schemas(new, BASE), store_with(sent()))
    assert "would change the tags of 1 SentFunds events" in change.message


def test_adding_a_required_field_without_default() -> None:
    new = with_event(BASE, with_fields(SENT, *SENT.fields, Field("memo", S)))
    assert codes(BASE, new, store_with(sent())) == [("added_required_field", "memo")]
    assert codes(BASE, new, store_with()) == []


@pytest.mark.parametrize(
    "added",
    [
        Field("memo", OPT_S),
        Field("memo", S, default=Default("none")),
        Field("currency", TypeRef("Currency"), default=Default("EUR", enum_variant=True)),
    ],
)
def test_adding_optional_or_defaulted_fields_is_minor(added: Field) -> None:
    new = with_event(BASE, with_fields(SENT, *SENT.fields, added))
    diff = diff_schemas(BASE, new)
    assert diff.level == "minor"
    assert codes(BASE, new, store_with(sent())) == []


def test_required_to_optional_is_minor() -> None:
    fields = (SENT.fields[0], Field("amount", TypeRef("Float", optional=True)), SENT.fields[2])
    diff = diff_schemas(BASE, with_event(BASE, with_fields(SENT, *fields)))
    assert [c.change for c in diff.changes] == ["made_optional"]
    assert diff.level == "minor"


def test_adding_events_types_and_enum_variants_is_minor() -> None:
    new = evolve(
        BASE,
        events=(*BASE.events, EventDecl("Closed", (Field("account_id", S, True),))),
        types=(*BASE.types, TypeDecl("Unused", (Field("x", S),))),
        enums=(evolve(CURRENCY, variants=(*CURRENCY.variants, "CHF")),),
    )
    diff = diff_schemas(BASE, new)
    assert diff.level == "minor"
    assert diff.summary.added_events == ("Closed",)
    assert diff.summary.modified_events == ("Moved",)  # its enum gained a variant
    assert codes(BASE, new, store_with(sent(), moved())) == []


def test_removing_an_enum_variant_in_use() -> None:
    new = evolve(BASE, enums=(evolve(CURRENCY, variants=("EUR", "USD")),))
    [change] = breaking_changes(diff_schemas(BASE, new), store_with(moved()))
    assert (change.event, change.change, change.field) == (
        "Moved",
        "removed_enum_variant",
        "currency",
    )
    assert "variant 'GBP' of enum Currency" in change.message
    assert codes(BASE, new, store_with(sent())) == []


def test_changes_inside_a_record_type_reach_every_event_that_uses_it() -> None:
    new = evolve(BASE, types=(evolve(ADDRESS, fields=(Field("street", S),)),))
    assert codes(BASE, new, store_with(moved())) == [
        ("removed_field", "address.city"),
        ("removed_field", "history[].city"),
    ]
    assert codes(BASE, new, store_with(sent())) == []


def test_recursive_types_are_compared_without_looping() -> None:
    node = TypeDecl("Node", (Field("value", S), Field("children", TypeRef(item=TypeRef("Node")))))
    tree = EventDecl("Planted", (Field("root", TypeRef("Node")),))
    old = Schema(events=(tree,), types=(node,))
    changed = evolve(node, fields=(*node.fields, Field("label", OPT_S)))
    diff = diff_schemas(old, evolve(old, types=(changed,)))
    assert [(c.change, c.field) for c in diff.changes] == [("added_field", "root.label")]
