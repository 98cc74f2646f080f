"""Write a schema as canonical ESDL text.

The output depends only on the model, never on how a schema was once laid out, so equal schemas
format identically and ``parse_schema(format_schema(s)) == s`` for every valid schema. Layout:
events, then types, then enums, each group in model order and one blank line apart; two-space
indents, one field per line; ``///`` docs above what they document; enums on one line.
"""

from __future__ import annotations

from esruntime.schema.literals import format_literal
from esruntime.schema.model import EnumDecl, EventDecl, Field, Schema, TypeDecl

__all__ = ["format_schema"]

_INDENT = "  "


def format_schema(schema: Schema) -> str:
    """The canonical ESDL text of ``schema``, ending with a newline (empty for no declarations)."""
    blocks = [
        *(_record("event", decl) for decl in schema.events),
        *(_record("type", decl) for decl in schema.types),
        *(_enum(decl) for decl in schema.enums),
    ]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _doc_lines(doc: str | None, indent: str = "") -> list[str]:
    if doc is None:
        return []
    return [f"{indent}/// {line}".rstrip() for line in doc.split("\n")]


def _record(keyword: str, decl: EventDecl | TypeDecl) -> str:
    lines = _doc_lines(decl.doc)
    if not decl.fields:
        lines.append(f"{keyword} {decl.name} {{}}")
    else:
        lines.append(f"{keyword} {decl.name} {{")
        for field in decl.fields:
            lines += _doc_lines(field.doc, _INDENT)
            lines.append(_INDENT + _field(field))
        lines.append("}")
    return "\n".join(lines)


def _field(field: Field) -> str:
    text = f"{'@' if field.domain_id else ''}{field.name}: {field.type}"
    if field.default is not None:
        literal = format_literal(field.default.value, enum_variant=field.default.enum_variant)
        text += f" = {literal}"
    return text


def _enum(decl: EnumDecl) -> str:
    variants = f" {', '.join(decl.variants)} " if decl.variants else ""
    return "\n".join([*_doc_lines(decl.doc), f"enum {decl.name} {{{variants}}}"])
