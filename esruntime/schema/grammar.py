"""The ESDL v1 grammar for Lark's LALR parser, and the words error messages use for its terminals.

The parser runs with Lark's contextual lexer, so a terminal is only tried where the grammar
accepts it: ``type`` is a keyword at the top level and an ordinary field name inside a body, and
a ``///`` line that could document nothing (inside a type expression, say) is a plain comment.
Terminals named with a leading underscore are dropped from the parse tree; the others are kept
because the transformer needs their text or position.

Where the language (``docs/esdl.md``) leaves a choice, the grammar decides:

- fields and enum variants are separated by a comma or a line break (two on one line without a
  comma are an error); a trailing comma is fine, an empty comma (``a: Int,, b: Int``) is not;
- ``event E {}`` and ``type T {}`` are valid; an empty ``enum`` parses but the checks refuse it;
- enum variants are ``[A-Z][A-Za-z0-9_]*`` (so ``IN_PROGRESS`` is one) and cannot have docs;
- ``///`` (exactly three slashes) starts a doc line where a declaration or field may begin; one
  space after it is dropped, trailing whitespace trimmed, consecutive lines joined with "\n",
  even across plain comments. A doc that documents nothing (before ``}`` or the end) is an error.
  ``////`` and ``/** */`` are plain comments;
- literals are JSON's: double-quoted strings with JSON escapes on one line, numbers without
  leading zeros or ``+`` (``1.0``, ``1e3`` are floats, ``1`` an int), ``true``, ``false``,
  ``null``; plus bare enum variants and ``[...]`` lists, trailing comma allowed;
- ``type``, ``event``, ``enum``, ``true``, ``false`` and ``null`` are keywords only where they
  can appear, so they are valid field names.
"""

from __future__ import annotations

__all__ = ["GRAMMAR", "TERMINAL_WORDS", "VALUE_TERMINALS"]

GRAMMAR = r"""
start: _declaration*

_declaration: event | record | enum

event: decl_docs? EVENT DECL_NAME _LBRACE fields _RBRACE
record: decl_docs? TYPE DECL_NAME _LBRACE fields _RBRACE
enum: decl_docs? ENUM DECL_NAME _LBRACE variants _RBRACE

// One rule per place a doc comment can stand, so that LALR keeps their states apart and the
// contextual lexer reads `event` as a keyword after a declaration's docs, a name after a field's.
decl_docs: DOC | decl_docs DOC
field_docs: DOC | field_docs DOC
variant_docs: DOC | variant_docs DOC

fields: (field (COMMA? field)* COMMA?)?
field: field_docs? AT? FIELD_NAME _COLON type (_EQUAL literal)?

variants: (variant (COMMA? variant)* COMMA?)?
variant: variant_docs? VARIANT

type: TYPE_NAME QMARK?            -> named_type
    | LSQB type RSQB QMARK?      -> array_type

?literal: STRING                  -> string
        | NUMBER                  -> number
        | TRUE                    -> true
        | FALSE                   -> false
        | NULL                    -> null
        | VARIANT                 -> variant_value
        | LSQB (literal (COMMA literal)* COMMA?)? RSQB -> list_value

EVENT: /event(?!\w)/
TYPE: /type(?!\w)/
ENUM: /enum(?!\w)/
TRUE: /true(?!\w)/
FALSE: /false(?!\w)/
NULL: /null(?!\w)/

DECL_NAME: /[A-Z][A-Za-z0-9]*(?!\w)/
TYPE_NAME: /[A-Z][A-Za-z0-9]*(?!\w)/
VARIANT: /[A-Z][A-Za-z0-9_]*(?!\w)/
FIELD_NAME: /[a-z_][a-z0-9_]*(?!\w)/

STRING: /"(?:[^"\\\x00-\x1f\ud800-\udfff]|\\(?:["\\\/bfnrt]|u[0-9a-fA-F]{4}))*"/
NUMBER: /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![\w.])/

AT: "@"
COMMA: ","
QMARK: "?"
LSQB: "["
RSQB: "]"
_LBRACE: "{"
_RBRACE: "}"
_COLON: ":"
_EQUAL: "="

DOC.2: /\/\/\/(?!\/)[^\n]*/
COMMENT: /\/\/[^\n]*/
BLOCK_COMMENT: /\/\*[\s\S]*?\*\//
WHITESPACE: /[ \t\f\r\n]+/

%ignore WHITESPACE
%ignore COMMENT
%ignore BLOCK_COMMENT
"""

TERMINAL_WORDS: dict[str, str] = {
    "TYPE_NAME": "a type",
    "VARIANT": "an enum variant",
    "STRING": "a string",
    "NUMBER": "a number",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "NULL": "'null'",
    "QMARK": "'?'",
    "_EQUAL": "'='",
    "_COLON": "':'",
    "_LBRACE": "'{'",
    "LSQB": "'['",
    "COMMA": "','",
    "RSQB": "']'",
    "_RBRACE": "'}'",
    "FIELD_NAME": "a field name",
    "AT": "'@'",
    "DECL_NAME": "a declaration name",
    "EVENT": "'event'",
    "TYPE": "'type'",
    "ENUM": "'enum'",
    "DOC": "a doc comment",
    "$END": "end of input",
}
"""How an error message names each terminal, in the order messages list them."""

VALUE_TERMINALS: frozenset[str] = frozenset(
    ["STRING", "NUMBER", "TRUE", "FALSE", "NULL", "VARIANT", "LSQB"]
)
"""The terminals that start a literal; a message says "a value" rather than listing them."""
