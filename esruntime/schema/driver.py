"""Run an LALR parse on Lark's own tables, lexers and callbacks, in one tight loop.

Lark's loop costs several microseconds a token (a generator per layer, a line counter object,
a general-purpose ``Token`` constructor), which is most of the time a megabyte of ESDL takes.
:class:`FastDriver` runs the very same pieces, taken from the :class:`~lark.Lark` instance: the
parse table, the compiled regular expression of the contextual lexer's state (so a terminal
matches exactly where Lark's would) and the rule callbacks (so the inline transformer builds
exactly what it builds under Lark). Where the loop has nothing to say, at a lexer error or in a
state whose lexer is not a single regular expression, it hands the parser state to Lark's
interactive parser, which continues from that character and raises Lark's own errors. A parse
error is reported with the terminals the parser accepted just before the offending token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lark import Lark, Token
from lark.exceptions import LarkError, UnexpectedToken
from lark.lexer import BasicLexer, ContextualLexer
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser

__all__ = ["FastDriver", "ParseFailure", "TooDeep"]

Reduce = tuple[int, Callable[[list[Any]], Any], str]
"""A reduction: how many values it takes, the rule's callback, the rule's name (for the goto)."""


class ParseFailure(Exception):
    """Lark's error, the token accepted before it, and what the parser would have accepted."""

    def __init__(self, error: LarkError, after: Token | None, accepted: set[str]) -> None:
        super().__init__(str(error))
        self.error = error
        self.after = after
        self.accepted = accepted


class TooDeep(Exception):
    """An opening bracket nests deeper than allowed; raised before the parser sees it."""

    def __init__(self, token: Token) -> None:
        super().__init__(token.value)
        self.token = token


def _no_match(text: str, pos: int) -> None:
    return None


class FastDriver:
    """Parses text with a Lark LALR parser that uses the contextual lexer (see the module).

    ``whitespace`` names an ignored terminal that no other terminal can start with: the loop
    skips it in the same regular expression match as the token that follows it.
    """

    def __init__(self, lark: Lark, *, whitespace: str) -> None:
        self._lark = lark
        probe = lark.parse_interactive("")
        conf = probe.parser_state.parse_conf
        self._start = conf.start_state
        self._end = conf.end_state
        self._states: dict[Any, dict[str, Any]] = conf.states
        callbacks = conf.callbacks
        # Lark names symbols with Token objects (str subclasses whose comparison is a Python
        # call); plain strings keep every lookup in C.
        self._actions: dict[Any, dict[str, Any | Reduce]] = {
            state: {
                str(symbol): arg
                if action is Shift
                else (len(arg.expansion), callbacks[arg], str(arg.origin.name))
                for symbol, (action, arg) in row.items()
            }
            for state, row in conf.states.items()
        }
        lexer = probe.lexer_thread.lexer
        if not isinstance(lexer, ContextualLexer):
            raise ValueError("the parser must use Lark's contextual lexer")
        root = lexer.root_lexer
        if not isinstance(root, BasicLexer):
            raise ValueError("the parser must use Lark's basic lexers in each state")
        self._ignored = frozenset(str(name) for name in root.ignore_types)
        self._multiline = frozenset(str(name) for name in root.newline_types)
        if whitespace not in self._ignored:
            raise ValueError(f"{whitespace} is not an ignored terminal")
        skip = root.terminals_by_name[whitespace].pattern.to_regexp()
        token_callbacks = any(isinstance(key, str) for key in callbacks)
        self._plain: dict[Any, Callable[[str, int], re.Match[str] | None]] = {}
        self._skipping: dict[Any, Callable[[str, int], re.Match[str] | None]] = {}
        for state, basic in lexer.lexers.items():
            expressions: list[re.Pattern[str]] = []
            if isinstance(basic, BasicLexer):
                scanner = basic.scanner  # built on first use, with the callbacks
                if not basic.callback and not token_callbacks:
                    expressions = getattr(scanner, "_mres", [])
            if len(expressions) == 1:
                plain = expressions[0]
                self._plain[state] = plain.match
                # Possessive, so that the whitespace is never given back to match otherwise.
                skipping = f"(?:{skip})?+(?:{plain.pattern})"
                self._skipping[state] = re.compile(skipping, plain.flags).match
            else:
                self._plain[state] = self._skipping[state] = _no_match

    def covers_every_state(self) -> bool:
        """Whether the fast loop lexes in every parser state (else Lark takes over there)."""
        return _no_match not in self._plain.values()

    def parse(self, text: str, *, max_nesting: int) -> Any:
        """The value of the start rule for ``text``.

        Raises :class:`TooDeep` for brackets nested deeper than ``max_nesting``,
        :class:`ParseFailure` for any Lark error, and whatever a rule callback raises.
        """
        actions = self._actions
        skipping = self._skipping
        plain = self._plain
        ignored = self._ignored
        multiline = self._multiline
        count = text.count
        brackets = {"LSQB": 1, "RSQB": -1}
        make = str.__new__
        state_stack: list[Any] = [self._start]
        value_stack: list[Any] = []
        pos, end, line, line_start, depth = 0, len(text), 1, 0, 0
        previous: Token | None = None
        current: Token | None = None
        while pos < end:
            found = skipping[state_stack[-1]](text, pos)
            if found is None:
                # Whitespace before something this state cannot lex, or nothing lexes here.
                found = plain[state_stack[-1]](text, pos)
                if found is None:
                    break
            kind: str = found.lastgroup  # type: ignore[assignment]
            stop = found.end()
            if kind in ignored:
                newlines = count("\n", pos, stop) if kind in multiline else 0
                if newlines:
                    line += newlines
                    line_start = text.rindex("\n", pos, stop) + 1
                pos = stop
                continue
            value: str = found.group(kind)
            start = stop - len(value)
            if start != pos:
                newlines = count("\n", pos, start)
                if newlines:
                    line += newlines
                    line_start = text.rindex("\n", pos, start) + 1
            # Lark's Token constructor goes through keyword handling for a deprecation; the
            # slots are the same.
            token: Token = make(Token, value)
            token.type = kind
            token.value = value
            token.start_pos = start
            token.line = token.end_line = line
            token.column = start - line_start + 1
            token.end_column = stop - line_start + 1
            token.end_pos = pos = stop
            if kind in multiline and count("\n", start, stop):
                line += count("\n", start, stop)
                line_start = text.rindex("\n", start, stop) + 1
                token.end_line, token.end_column = line, stop - line_start + 1
            previous, current = current, token
            if kind in brackets:
                depth += brackets[kind]
                if depth > max_nesting:
                    raise TooDeep(token)
            action = actions[state_stack[-1]].get(kind)
            before: list[Any] | None = None
            while action.__class__ is tuple:
                if before is None:
                    before = state_stack[:]
                size, callback, origin = action
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                value_stack.append(callback(children))
                goto = actions[state_stack[-1]][origin]
                state_stack.append(goto)
                action = actions[goto].get(kind)
            if action is None:
                stack = before if before is not None else state_stack
                raise ParseFailure(
                    self._unexpected(token, state_stack), previous, self._accepts(stack)
                )
            state_stack.append(action)
            value_stack.append(token)
        else:
            return self._end_of_input(state_stack, value_stack, current)
        return self._continue_with_lark(
            text,
            state_stack,
            value_stack,
            (pos, line, line_start, depth),
            (previous, current),
            max_nesting,
        )

    def _end_of_input(
        self, state_stack: list[Any], value_stack: list[Any], current: Token | None
    ) -> Any:
        eof = (
            Token.new_borrow_pos("$END", "", current)
            if current is not None
            else Token("$END", "", 0, 1, 1)
        )
        actions = self._actions
        before = state_stack[:]
        while True:
            action = actions[state_stack[-1]].get("$END")
            if action is None:
                raise ParseFailure(
                    self._unexpected(eof, state_stack), current, self._accepts(before)
                )
            size, callback, origin = action  # $END is never shifted
            children = value_stack[-size:] if size else []
            if size:
                del state_stack[-size:]
                del value_stack[-size:]
            value_stack.append(callback(children))
            state_stack.append(actions[state_stack[-1]][origin])
            if state_stack[-1] == self._end:
                return value_stack[-1]

    def _continue_with_lark(
        self,
        text: str,
        state_stack: list[Any],
        value_stack: list[Any],
        where: tuple[int, int, int, int],
        accepted_tokens: tuple[Token | None, Token | None],
        max_nesting: int,
    ) -> Any:
        pos, line, line_start, depth = where
        previous, current = accepted_tokens
        interactive = self._lark.parse_interactive(text)
        parser_state = interactive.parser_state
        parser_state.state_stack[:] = state_stack
        parser_state.value_stack[:] = value_stack
        lexer_state = interactive.lexer_thread.state
        assert lexer_state is not None
        counter = lexer_state.line_ctr
        counter.char_pos, counter.line, counter.line_start_pos = pos, line, line_start
        counter.column = pos - line_start + 1
        lexer_state.last_token = current
        before: list[Any] = parser_state.state_stack[:]
        at_end = False
        try:
            for token in interactive.iter_parse():
                before = parser_state.state_stack[:]
                previous, current = current, token
                if token.type == "LSQB":
                    depth += 1
                    if depth > max_nesting:
                        raise TooDeep(token)
                elif token.type == "RSQB":
                    depth -= 1
            before, at_end = parser_state.state_stack[:], True
            return interactive.feed_eof(current)  # type: ignore[no-untyped-call]
        except LarkError as error:
            # A parser error is raised for the token just yielded (``current``), and then the
            # last accepted token is ``previous``; a lexer error comes after ``current`` was
            # accepted, with the parser in the state that accepted it.
            offending: Token | None = getattr(error, "token", None)
            if offending is not None and offending is current:
                after, stack = previous, before
            else:
                after, stack = current, before if at_end else parser_state.state_stack
            raise ParseFailure(error, after, self._accepts(stack)) from None

    def _unexpected(self, token: Token, state_stack: list[Any]) -> UnexpectedToken:
        expected = {name for name in self._states[state_stack[-1]] if name.isupper()}
        return UnexpectedToken(token, expected)  # type: ignore[no-untyped-call]

    def _accepts(self, state_stack: list[Any]) -> set[str]:
        """The terminals a parser in the state ``state_stack`` would accept next."""
        interactive: InteractiveParser = self._lark.parse_interactive("")
        interactive.parser_state.state_stack[:] = state_stack
        interactive.parser_state.value_stack[:] = [None] * (len(state_stack) - 1)
        accepted: set[str] = interactive.accepts()  # type: ignore[no-untyped-call]
        return accepted
