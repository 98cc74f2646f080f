"""Turn Lark's parse errors into :class:`SchemaSyntaxError` messages a schema author can act on.

A message names the line and column, what was expected in words, the token before the error
and what was found instead, then quotes the source line with a caret under the column::

    line 3, column 11: expected a type after ':' but found '}'
      3 |   amount: }
        |           ^
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Set

from lark import Token
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from esruntime.errors import SchemaSyntaxError
from esruntime.schema.grammar import TERMINAL_WORDS, VALUE_TERMINALS
from esruntime.schema.model import SCALARS

__all__ = ["excerpt", "syntax_error", "translate"]

_SHOWN_FOUND = 40
_SHOWN_LINE = 100
_WORD = re.compile(r"-?[\w.]+|\S")
_IGNORED = frozenset(["WHITESPACE", "COMMENT", "BLOCK_COMMENT", "<END-OF-FILE>"])
_NAME_RULES = {
    "FIELD_NAME": "field names match [a-z_][a-z0-9_]*",
    "DECL_NAME": "names of events, types and enums match [A-Z][A-Za-z0-9]*",
    "TYPE_NAME": "type names match [A-Z][A-Za-z0-9]*",
    "VARIANT": "enum variants match [A-Z][A-Za-z0-9_]*",
}


def excerpt(text: str, line: int, column: int) -> str:
    """The source line with a caret under ``column``, long lines cut around it."""
    lines = text.split("\n")
    source = lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""
    source = "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in source)
    start = max(0, min(column - 1 - _SHOWN_LINE // 2, len(source) - _SHOWN_LINE))
    shown = source[start : start + _SHOWN_LINE]
    before = shown[: column - 1 - start]
    prefix = "..." if start else ""
    suffix = "..." if start + _SHOWN_LINE < len(source) else ""
    # Keep tabs so that the caret lines up with the source however the terminal renders them.
    pad = "".join(c if c == "\t" else " " for c in prefix + before)
    gutter = str(line)
    return f"  {gutter} | {prefix}{shown}{suffix}\n  {' ' * len(gutter)} | {pad}^"


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words) or "nothing"
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _quote(found: str) -> str:
    if not found:
        return "end of input"
    if len(found) > _SHOWN_FOUND:
        found = found[:_SHOWN_FOUND] + "..."
    return repr(found)


def syntax_error(
    text: str,
    *,
    line: int,
    column: int,
    found: str,
    expected: Iterable[str],
    after: str | None = None,
    hint: str | None = None,
) -> SchemaSyntaxError:
    """A :class:`SchemaSyntaxError` whose message is complete on its own."""
    words = list(expected)
    message = f"line {line}, column {column}: expected {_join(words)}"
    if after:
        message += f" after {after}"
    message += f" but found {_quote(found)}"
    if hint:
        message += f" ({hint})"
    message += "\n" + excerpt(text, line, column)
    return SchemaSyntaxError(message, line=line, column=column, found=found, expected=words)


def describe_token(token: Token) -> str:
    """How a message names a token it points after: its text, or what it is."""
    if token.type == "DOC":
        return "a doc comment"
    return _quote(token.value)


def expected_words(terminals: Iterable[str], after: Token | None) -> list[str]:
    """The phrases for the terminals a parser state accepts, in a fixed, readable order."""
    names = set(terminals) - _IGNORED
    if "TYPE_NAME" in names:
        names.discard("LSQB")  # "a type" covers an array type
    value = "STRING" in names
    if value:
        names -= VALUE_TERMINALS
    if len(names) > 1:
        names.discard("DOC")
    if "FIELD_NAME" in names:
        names.discard("AT")  # "a field name" covers a domain id's '@'
    words = [TERMINAL_WORDS[name] for name in TERMINAL_WORDS if name in names]
    words += sorted(TERMINAL_WORDS.get(name, name) for name in names - TERMINAL_WORDS.keys())
    if value:
        words.insert(0, "a default value" if after and after.type == "_EQUAL" else "a value")
    return list(dict.fromkeys(words))


def _hint(names: set[str], found: str, after: Token | None) -> str | None:
    if after is not None and after.type == "DOC" and "DOC" in names:
        return (
            "a /// doc comment documents the declaration or field that follows it; "
            "use // for a plain comment"
        )
    if "STRING" in names and found[:1] == "'":
        return "strings are double-quoted"
    if "STRING" in names and (found[:1] in ("-", "+", ".") or found[:1].isdigit()):
        return "numbers are written as in JSON, like 7, -1.5 or 2.5e-3"
    if not found or len(found) > _SHOWN_FOUND or not (found[0].isalpha() or found[0] == "_"):
        return None
    if "TYPE_NAME" in names:
        close = difflib.get_close_matches(found.capitalize(), sorted(SCALARS), n=1)
        if close:
            return f"did you mean '{close[0]}'?"
    if "STRING" in names and found[0].islower():
        return "strings are double-quoted; enum variants start with an upper-case letter"
    for name, rule in _NAME_RULES.items():
        if name in names:
            return rule
    return None


_ESCAPES = frozenset('"\\/bfnrt')


def _string_problem(rest: str) -> tuple[int, str, str, str]:
    """Why a string literal at the start of ``rest`` does not lex: where, what, expected, hint.

    The column offset is within the line, as string literals never span lines.
    """
    index = 1
    while index < len(rest):
        char = rest[index]
        if char == '"':
            break
        if char == "\\":
            escape = rest[index : index + 6]
            if escape[1:2] in _ESCAPES or (
                escape[1:2] == "u" and re.fullmatch(r"u[0-9a-fA-F]{4}", escape[1:])
            ):
                index += 6 if escape[1:2] == "u" else 2
                continue
            shown = escape if escape[1:2] == "u" else escape[:2]
            return (
                index,
                shown,
                "a JSON escape",
                'escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u followed by 4 hex digits',
            )
        if char < " " or "\ud800" <= char <= "\udfff":
            if char in "\r\n":
                break
            return (
                index,
                char,
                "a printable character",
                "write control characters as JSON escapes like \\t or \\u0000",
            )
        index += 1
    return (
        0,
        rest.split("\n", 1)[0].rstrip("\r"),
        "a string closed on the same line",
        "strings are double-quoted and end on the line they start",
    )


def _eof_position(text: str) -> tuple[int, int]:
    last_newline = text.rfind("\n")
    return text.count("\n") + 1, len(text) - last_newline


def translate(
    error: LarkError, text: str, *, after: Token | None, accepted: Set[str]
) -> SchemaSyntaxError:
    """The :class:`SchemaSyntaxError` for any error Lark raised while parsing ``text``.

    ``after`` is the last token the parser accepted before the error, if any, and ``accepted``
    the terminals it would have accepted instead of the offending text. (Lark's own expected
    sets can be too wide: LALR merges the lookaheads of states that look alike.)
    """
    previous = describe_token(after) if after is not None else None
    names = set(accepted)
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            line, column = _eof_position(text)
            found = ""
        else:
            line, column, found = token.line or 1, token.column or 1, str(token.value)
        return syntax_error(
            text,
            line=line,
            column=column,
            found=found,
            expected=expected_words(names, after),
            after=previous,
            hint=_hint(names, found, after),
        )
    if isinstance(error, UnexpectedCharacters):
        rest = text[error.pos_in_stream :]
        line, column = error.line, error.column
        if rest.startswith("/*"):
            return syntax_error(
                text,
                line=line,
                column=column,
                found="/*",
                expected=["'*/' to close the comment"],
                hint="a /* comment must be closed with */",
            )
        if rest.startswith('"'):
            offset, found, expected, hint = _string_problem(rest)
            return syntax_error(
                text,
                line=line,
                column=column + offset,
                found=found,
                expected=[expected],
                hint=hint,
            )
        match = _WORD.match(rest)
        found = match.group() if match else rest[:1]
        return syntax_error(
            text,
            line=line,
            column=column,
            found=found,
            expected=expected_words(names, after),
            after=previous,
            hint=_hint(names, found, after),
        )
    line, column = (
        (error.line, error.column)
        if isinstance(error, UnexpectedInput) and error.line > 0
        else (1, 1)
    )
    return syntax_error(
        text, line=line, column=column, found="", expected=["valid ESDL"], hint=str(error)
    )
