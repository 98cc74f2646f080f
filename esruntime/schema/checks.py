"""The semantic checks of an ESDL schema: everything that parses but makes no sense.

:func:`check_schema` returns every problem at once, in source order, so that one round of edits
fixes a schema. The rules (``docs/esdl.md``):

- events, types and enums share one namespace, and none may take a scalar's name;
- a declaration's fields are unique, an enum's variants are unique, and an enum has variants;
- a field's type names a scalar, a ``type`` or an ``enum`` (never an event);
- ``@`` (a domain id, which becomes a tag ``field:value``) stands only on an event's field of
  type String, Int, Long or Uuid, or their optional forms: tags are taken from events, so a
  domain id inside a ``type`` would never become one;
- a default fits its field's type (:mod:`esruntime.schema.literals`);
- no ``type`` requires itself through required, non-array fields: no finite value could
  satisfy it. A cycle through an optional or array field is fine (null or ``[]`` ends it).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

from esruntime.errors import SchemaProblem
from esruntime.schema.literals import format_literal, literal_problem
from esruntime.schema.model import (
    DOMAIN_ID_SCALARS,
    SCALARS,
    EnumDecl,
    EventDecl,
    Field,
    Schema,
    TypeDecl,
    TypeRef,
)

__all__ = ["check_schema"]

Declaration = EventDecl | TypeDecl | EnumDecl
Position = tuple[int, int]

_MAX_SUGGESTED = 20
_MAX_CANDIDATES = 500


def check_schema(
    schema: Schema, *, variant_positions: Sequence[Sequence[Position]] | None = None
) -> list[SchemaProblem]:
    """Every problem in ``schema``, sorted by position; empty when the schema is sound.

    ``variant_positions[i][j]`` is where ``schema.enums[i].variants[j]`` stands in the text; a
    schema built in code has none, and its variant problems point at the enum.
    """
    declarations = _declared(schema)
    problems = [
        *_namespace_problems(schema),
        *_enum_problems(schema.enums, variant_positions),
        *_field_problems(schema, declarations),
        *_cycle_problems(schema.types, declarations),
    ]
    problems.sort(key=lambda p: (p.line, p.column))
    return problems


def _in_source_order(schema: Schema) -> list[Declaration]:
    everything: list[Declaration] = [*schema.events, *schema.types, *schema.enums]
    everything.sort(key=lambda d: (d.line, d.column))
    return everything


def _declared(schema: Schema) -> dict[str, Declaration]:
    """Each name's first declaration in source order."""
    declarations: dict[str, Declaration] = {}
    for decl in _in_source_order(schema):
        declarations.setdefault(decl.name, decl)
    return declarations


def _kind(decl: Declaration) -> str:
    return {EventDecl: "event", TypeDecl: "type", EnumDecl: "enum"}[type(decl)]


def _namespace_problems(schema: Schema) -> Iterator[SchemaProblem]:
    first: dict[str, Declaration] = {}
    for decl in _in_source_order(schema):
        if decl.name in SCALARS:
            yield SchemaProblem(
                decl.line,
                decl.column,
                f"'{decl.name}' is a built-in scalar type; choose another name for this "
                f"{_kind(decl)}",
            )
            continue
        earlier = first.get(decl.name)
        if earlier is None:
            first[decl.name] = decl
        else:
            yield SchemaProblem(
                decl.line,
                decl.column,
                f"'{decl.name}' is already declared at line {earlier.line} (as {_kind(earlier)} "
                f"{decl.name}); events, types and enums share one namespace",
            )


def _enum_problems(
    enums: Sequence[EnumDecl], variant_positions: Sequence[Sequence[Position]] | None
) -> Iterator[SchemaProblem]:
    for index, enum in enumerate(enums):
        if not enum.variants:
            yield SchemaProblem(
                enum.line, enum.column, f"enum {enum.name} has no variants; declare at least one"
            )
        positions = variant_positions[index] if variant_positions is not None else ()
        seen: set[str] = set()
        for number, variant in enumerate(enum.variants):
            if variant in seen:
                line, column = (
                    positions[number] if number < len(positions) else (enum.line, enum.column)
                )
                yield SchemaProblem(
                    line, column, f"duplicate variant '{variant}' in enum {enum.name}"
                )
            seen.add(variant)


def _field_problems(
    schema: Schema, declarations: dict[str, Declaration]
) -> Iterator[SchemaProblem]:
    records: list[EventDecl | TypeDecl] = [*schema.events, *schema.types]
    suggest = _Suggestions(declarations)
    for decl in records:
        seen: dict[str, Field] = {}
        for field in decl.fields:
            first = seen.get(field.name)
            if first is None:
                seen[field.name] = field
            else:
                yield SchemaProblem(
                    field.line,
                    field.column,
                    f"duplicate field '{field.name}' in {_kind(decl)} {decl.name} "
                    f"(first declared at line {first.line})",
                )
            for message in _field_messages(decl, field, declarations, suggest):
                yield SchemaProblem(field.line, field.column, f"field '{field.name}': {message}")


def _leaf(ref: TypeRef) -> str:
    """The name at the bottom of a type: ``Int`` for ``[[Int?]]?``."""
    while ref.item is not None:
        ref = ref.item
    return str(ref.name)


def _field_messages(
    decl: EventDecl | TypeDecl,
    field: Field,
    declarations: dict[str, Declaration],
    suggest: _Suggestions,
) -> Iterator[str]:
    name = _leaf(field.type)
    target = declarations.get(name) if name not in SCALARS else None
    resolved = name in SCALARS or isinstance(target, TypeDecl | EnumDecl)
    if isinstance(target, EventDecl):
        yield f"'{name}' is an event; a field's type is a scalar, a type or an enum"
    elif not resolved:
        yield f"unknown type '{name}'{suggest(name)}"
    if field.domain_id:
        if isinstance(decl, TypeDecl):
            yield (
                f"'@' marks a domain id, which only an event's fields can be "
                f"(its value becomes a tag on the event), not type {decl.name}'s"
            )
        elif resolved and (field.type.item is not None or name not in DOMAIN_ID_SCALARS):
            yield (
                f"'@' marks a domain id, which must be String, Int, Long or Uuid "
                f"(optionally with '?'), not {field.type}"
            )
    if field.default is not None and resolved:
        default = field.default

        def resolve(name: str) -> EnumDecl | str | None:
            if name in SCALARS:
                return name
            target = declarations.get(name)
            return target if isinstance(target, EnumDecl) else None

        problem = literal_problem(
            default.value, field.type, enum_variant=default.enum_variant, resolve=resolve
        )
        if problem:
            whole = format_literal(default.value, enum_variant=default.enum_variant)
            yield f"default {whole} is invalid: {problem}"


class _Suggestions:
    """ "Did you mean" hints for unknown type names, at a bounded cost.

    difflib compares a name with each candidate; a hostile schema of thousands of types and
    thousands of misspelt references would take minutes. So only the first
    :data:`_MAX_SUGGESTED` unknown names get a hint, each from at most :data:`_MAX_CANDIDATES`
    candidates of about the same length.
    """

    def __init__(self, declarations: dict[str, Declaration]) -> None:
        self._candidates = sorted(SCALARS) + sorted(
            n for n, d in declarations.items() if not isinstance(d, EventDecl)
        )
        self._given: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if name not in self._given and len(self._given) < _MAX_SUGGESTED:
            self._given[name] = self._closest(name)
        return self._given.get(name, "")

    def _closest(self, name: str) -> str:
        near = [c for c in self._candidates if abs(len(c) - len(name)) <= 2]
        close = difflib.get_close_matches(name, near[:_MAX_CANDIDATES], n=1)
        if not close:
            lowered = {c.lower(): c for c in self._candidates}
            close = [lowered[name.lower()]] if name.lower() in lowered else []
        return f" (did you mean '{close[0]}'?)" if close else ""


def _cycle_problems(
    types: Sequence[TypeDecl], declarations: dict[str, Declaration]
) -> Iterator[SchemaProblem]:
    """One problem per cycle of required record fields, at its first type in source order."""
    records = {d.name: d for d in declarations.values() if isinstance(d, TypeDecl)}
    needs: dict[str, list[tuple[str, str]]] = {
        name: [
            (f.name, str(f.type.name))
            for f in decl.fields
            if not f.type.optional and f.type.item is None and f.type.name in records
        ]
        for name, decl in records.items()
    }
    unsatisfiable = _unsatisfiable(needs)
    reported: set[str] = set()
    for name in records:  # source order
        if name not in unsatisfiable or name in reported:
            continue
        cycle = _find_cycle(name, needs, unsatisfiable)
        if reported.intersection(step for step, _ in cycle):
            continue
        reported.update(step for step, _ in cycle)
        first = min((records[step] for step, _ in cycle), key=lambda d: (d.line, d.column))
        start = next(i for i, (step, _) in enumerate(cycle) if step == first.name)
        ordered = cycle[start:] + cycle[:start]
        path = " -> ".join(f"{step}.{field}" for step, field in ordered)
        yield SchemaProblem(
            first.line,
            first.column,
            f"type {first.name} can never be satisfied: its required fields lead back to it "
            f"({path} -> {first.name}); make one of them optional or an array",
        )


def _unsatisfiable(needs: dict[str, list[tuple[str, str]]]) -> set[str]:
    """The record types that no finite value satisfies: they need one that needs itself."""
    waiting = {name: len({target for _, target in edges}) for name, edges in needs.items()}
    needed_by: dict[str, set[str]] = {name: set() for name in needs}
    for name, edges in needs.items():
        for _, target in edges:
            needed_by[target].add(name)
    ready = [name for name, count in waiting.items() if count == 0]
    satisfiable: set[str] = set()
    while ready:
        name = ready.pop()
        satisfiable.add(name)
        for dependent in needed_by[name]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                ready.append(dependent)
    return set(needs) - satisfiable


def _find_cycle(
    start: str, needs: dict[str, list[tuple[str, str]]], unsatisfiable: set[str]
) -> list[tuple[str, str]]:
    """A cycle of (type, field) steps reached from ``start`` through unsatisfiable types."""
    path: list[tuple[str, str]] = []
    index: dict[str, int] = {}
    name = start
    while name not in index:
        index[name] = len(path)
        field, target = next((f, t) for f, t in needs[name] if t in unsatisfiable)
        path.append((name, field))
        name = target
    return path[index[name] :]
