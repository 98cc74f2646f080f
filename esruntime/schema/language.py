"""Parse ESDL text into a checked :class:`~esruntime.schema.model.Schema`.

Parsing goes text → Lark LALR parser (contextual lexer, grammar in
:mod:`esruntime.schema.grammar`; its tables run in the loop of :mod:`esruntime.schema.driver`)
→ model objects built during the parse (:mod:`esruntime.schema.builder`) → semantic checks
(:mod:`esruntime.schema.checks`). Any input
either gives a schema or raises a :class:`~esruntime.errors.SchemaError`: Lark's exceptions are
translated (:mod:`esruntime.schema.diagnostics`), and the size and bracket-nesting limits keep
hostile input from exhausting time, memory or the Python stack.
"""

from __future__ import annotations

import functools
import gc

from lark import Lark, Token

from esruntime.errors import SchemaError, SchemaSemanticError, SchemaTooLargeError
from esruntime.schema.builder import LayoutError, ParsedSchema, SchemaBuilder
from esruntime.schema.checks import check_schema
from esruntime.schema.diagnostics import excerpt, syntax_error, translate
from esruntime.schema.driver import FastDriver, ParseFailure, TooDeep
from esruntime.schema.grammar import GRAMMAR
from esruntime.schema.model import Schema

__all__ = ["DEFAULT_MAX_BYTES", "MAX_NESTING", "parse_schema"]

DEFAULT_MAX_BYTES = 262_144
MAX_NESTING = 32
"""How deep ``[`` brackets may nest, in a type (``[[Int]]``) or a default (``[[1], [2]]``)."""

_BOM = "\ufeff"


@functools.cache
def _driver() -> FastDriver:
    return FastDriver(_parser(), whitespace="WHITESPACE")


@functools.cache
def _parser() -> Lark:
    # Built once: the LALR tables take tens of milliseconds. The builder is stateless, so the
    # one parser serves every call, in any thread.
    return Lark(
        GRAMMAR,
        parser="lalr",
        lexer="contextual",
        transformer=SchemaBuilder(),
        maybe_placeholders=False,
    )


def parse_schema(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Schema:
    """The checked schema that ``text`` declares.

    Raises :class:`~esruntime.errors.SchemaTooLargeError` when ``text`` is over ``max_bytes``
    (UTF-8) or nests brackets deeper than :data:`MAX_NESTING`,
    :class:`~esruntime.errors.SchemaSyntaxError` (line, column, found, expected) when it does
    not follow the grammar, and :class:`~esruntime.errors.SchemaSemanticError` listing every
    problem when it parses but is inconsistent. Nothing else escapes, whatever the input.
    """
    if not isinstance(text, str):
        raise SchemaError(f"a schema is text (str), not {type(text).__name__}")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise SchemaTooLargeError(
            f"the schema is {size:,} bytes of UTF-8; the limit is {max_bytes:,} bytes"
        )
    text = text.removeprefix(_BOM)
    parsed = _parse(text)
    problems = check_schema(parsed.schema, variant_positions=parsed.variant_positions)
    if problems:
        raise SchemaSemanticError(problems)
    return parsed.schema


def _parse(text: str) -> ParsedSchema:
    # A megabyte of schema allocates about a million objects (tokens, model objects), none in a
    # reference cycle; the cyclic collector would traverse the growing heap again and again,
    # up to a third of the parse. It stays off for the parse unless something else turned it
    # off already; whoever turned it off turns it back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        result: ParsedSchema = _driver().parse(text, max_nesting=MAX_NESTING)
    except TooDeep as error:
        raise SchemaTooLargeError(_too_deep(text, error.token)) from None
    except LayoutError as error:
        token = error.token
        raise syntax_error(
            text,
            line=token.line or 1,
            column=token.column or 1,
            found=str(token.value),
            expected=error.expected,
            after=None,
            hint=error.hint,
        ) from None
    except ParseFailure as failure:
        raise translate(
            failure.error, text, after=failure.after, accepted=failure.accepted
        ) from None
    finally:
        if collecting:
            gc.enable()
    return result


def _too_deep(text: str, token: Token) -> str:
    line, column = token.line or 1, token.column or 1
    return (
        f"line {line}, column {column}: brackets nest deeper than {MAX_NESTING} levels\n"
        f"{excerpt(text, line, column)}"
    )
