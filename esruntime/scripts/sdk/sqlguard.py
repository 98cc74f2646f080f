"""The SQL of ``sdk.db``: parsed, checked, confined to the tenant, and compiled once.

Every statement is parsed with sqlglot in the engine's dialect and only the SQL *generated from
the checked tree* is ever run, never the script's text. The checks, in order:

1. size; no comments (``SQL injection detected``); exactly one statement (more is a stacked
   query: ``SQL injection detected``), starting with a query or DML keyword;
2. placeholders: ``$1``, ``$2``... or ``?``, not both; named ones (``:x``, ``@x``) are refused;
3. no string literals of any kind, and no constant conditions (``1 = 1``, ``a = a``, ``OR
   TRUE``): ``SQL injection detected``;
4. the operation (``Unauthorized operation``): ``query`` runs SELECT (with UNION/INTERSECT/
   EXCEPT and read-only CTEs), ``execute`` runs INSERT/UPDATE/DELETE; DDL, DCL, SELECT INTO,
   locking clauses, writable CTEs, PRAGMA/ATTACH/COPY/SET/CALL/EXECUTE, transaction control and
   upserts that update are refused, as is any clause this module does not know;
5. functions: an allowlist (:mod:`.sqlfunctions`), also for PostgreSQL's functions written as
   keywords (``user``, ``current_role``), which sqlglot reads as columns;
6. tenant confinement (:mod:`.sqltenant`), and for queries a row bound: ``LIMIT :esr_limit``,
   or ``LIMIT LEAST(<the script's limit>, :esr_limit)``.

Compiled statements (and refusals) are cached by dialect, mode, table allowlist and text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection
from typing import Literal

from attrs import frozen
from cachetools import LRUCache
from sqlglot import Token, TokenType, exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import SqlglotError

from esruntime.errors import SdkError
from esruntime.scripts.sdk.sqlfunctions import (
    function_name,
    is_allowed_function,
    keyword_function,
)
from esruntime.scripts.sdk.sqltenant import confine_to_tenant

__all__ = [
    "LIMIT_BIND",
    "MAX_PARAMETERS",
    "MAX_SQL_CHARS",
    "CompiledStatement",
    "Mode",
    "compile_statement",
]

Mode = Literal["query", "execute"]
LIMIT_BIND = "esr_limit"
MAX_SQL_CHARS = 100_000
MAX_PARAMETERS = 10_000


@frozen
class CompiledStatement:
    """SQL to run with ``:p1``... bound to the script's parameters, ``:esr_tenant`` to the
    tenant and, for queries, ``:esr_limit`` to the most rows to read."""

    sql: str
    parameters: int
    kind: str


class _BindPostgres(Postgres):
    class Generator(Postgres.Generator):  # type: ignore[misc,valid-type]
        def placeholder_sql(self, expression: exp.Placeholder) -> str:
            return f":{expression.name}"

        def currenttime_sql(self, expression: exp.CurrentTime) -> str:
            # sqlglot writes CURRENT_TIME(), which PostgreSQL does not parse.
            precision = expression.this
            return f"CURRENT_TIME({self.sql(precision)})" if precision else "CURRENT_TIME"


class _BindSQLite(SQLite):
    class Generator(SQLite.Generator):  # type: ignore[misc,valid-type]
        def placeholder_sql(self, expression: exp.Placeholder) -> str:
            return f":{expression.name}"


_READERS = {"postgres": Postgres(), "sqlite": SQLite()}
_WRITERS = {"postgres": _BindPostgres(), "sqlite": _BindSQLite()}
_CACHE: LRUCache[tuple[object, ...], CompiledStatement | str] = LRUCache(maxsize=2048)
_CACHE_LOCK = threading.Lock()

# sqlglot's PostgreSQL tokenizer reads "$1,$2" as the start of a dollar-quoted string.
_DOLLAR_PARAMETER = re.compile(r"(?<![\w$])\$(\d+)(?=[^\s\d])")
_SQLITE_DOLLAR = re.compile(r"\$\d+")
_STRINGS = tuple(
    getattr(exp, name)
    for name in ("RawString", "HexString", "ByteString", "BitString", "National", "UnicodeString")
    if hasattr(exp, name)
)
_FORBIDDEN: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.Into, "SELECT INTO"),
    (exp.Lock, "locking clause (FOR UPDATE/FOR SHARE)"),
    (exp.Create, "CREATE"),
    (exp.Drop, "DROP"),
    (exp.Alter, "ALTER"),
    (exp.TruncateTable, "TRUNCATE"),
    (exp.Grant, "GRANT"),
    (exp.Revoke, "REVOKE"),
    (exp.Pragma, "PRAGMA"),
    (exp.Attach, "ATTACH"),
    (exp.Detach, "DETACH"),
    (exp.Copy, "COPY"),
    (exp.Set, "SET"),
    (exp.Transaction, "BEGIN"),
    (exp.Commit, "COMMIT"),
    (exp.Rollback, "ROLLBACK"),
    (exp.Merge, "MERGE"),
    (exp.Use, "USE"),
    (exp.Describe, "DESCRIBE"),
    (exp.Analyze, "ANALYZE"),
)
_CLAUSES: dict[type[exp.Expr], frozenset[str]] = {
    exp.Select: frozenset(
        {"with_", "expressions", "distinct", "from_", "laterals", "joins", "where", "group"}
        | {"having", "windows", "order", "limit", "offset"}
    ),
    exp.SetOperation: frozenset({"with_", "this", "expression", "distinct", "order", "limit"})
    | {"offset"},
    exp.Insert: frozenset({"with_", "this", "expression", "conflict", "returning", "alternative"}),
    exp.Update: frozenset({"with_", "this", "expressions", "from_", "where", "returning"}),
    exp.Delete: frozenset({"with_", "this", "using", "where", "returning"}),
}
_DML = (exp.Insert, exp.Update, exp.Delete)
_FIRST_WORDS = frozenset({"SELECT", "WITH", "(", "TABLE", "VALUES", "INSERT", "UPDATE", "DELETE"})


def compile_statement(
    sql: str, dialect: str, mode: Mode, tables: Collection[str] | None = None
) -> CompiledStatement:
    """Check ``sql`` for ``mode`` and confine it to the tenant; SdkError says what is wrong."""
    if not isinstance(sql, str):
        raise SdkError("Invalid query: SQL must be a string")
    allowed = None if tables is None else frozenset(name.lower() for name in tables)
    key = (dialect, mode, allowed, sql)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is None:
        try:
            cached = _compile(sql, dialect, mode, allowed)
        except SdkError as exc:
            cached = str(exc)
        with _CACHE_LOCK:
            _CACHE[key] = cached
    if isinstance(cached, str):
        raise SdkError(cached)
    return cached


def _compile(
    sql: str, dialect: str, mode: Mode, tables: frozenset[str] | None
) -> CompiledStatement:
    if len(sql) > MAX_SQL_CHARS:
        raise SdkError(f"Invalid query: longer than {MAX_SQL_CHARS} characters")
    reader = _READERS[dialect]
    text = _DOLLAR_PARAMETER.sub(r"$\1 ", sql) if dialect == "postgres" else sql
    try:
        tokens = reader.tokenize(text)
        if any(token.comments for token in tokens):
            raise SdkError("SQL injection detected: comments are not allowed")
        _check_statement_tokens(tokens)
        trees = [tree for tree in reader.parser().parse(tokens, text) if tree is not None]
    except SqlglotError as exc:
        raise SdkError(f"Invalid query: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise SdkError("Invalid query: nested too deeply") from None
    if len(trees) > 1:
        raise SdkError("SQL injection detected: more than one statement")
    if not trees:
        raise SdkError("Invalid query: no statement")
    tree = trees[0]
    parameters = _bind_parameters(tree, dialect)
    kind = _check_operation(tree, mode, tokens[0].text.upper())
    _check_injection(tree)
    _check_functions(tree, dialect)
    confine_to_tenant(tree, dialect, tables)
    if mode == "query":
        _bound_rows(tree)
    return CompiledStatement(tree.sql(dialect=_WRITERS[dialect]), parameters, kind)


def _check_statement_tokens(tokens: list[Token]) -> None:
    """Refuse what is not one DML or query statement before the parser sees it (the parser
    would log a warning for every statement it does not know, at the script's will)."""
    words = [token for token in tokens if token.token_type != TokenType.SEMICOLON]
    if not words:
        raise SdkError("Invalid query: no statement")
    ends = [i for i, token in enumerate(tokens) if token.token_type == TokenType.SEMICOLON]
    if ends and any(token.token_type != TokenType.SEMICOLON for token in tokens[ends[0] :]):
        raise SdkError("SQL injection detected: more than one statement")
    first = words[0].text.upper()
    if first not in _FIRST_WORDS:
        raise SdkError(f"Unauthorized operation: {first[:40]}")


def _bind_parameters(tree: exp.Expr, dialect: str) -> int:
    """Turn ``$n`` and ``?`` into ``:pN`` placeholders; how many values the statement takes."""
    numbered: list[tuple[int, exp.Expr]] = []
    positional: list[exp.Expr] = []
    for node in list(tree.walk()):
        if isinstance(node, exp.Placeholder):
            if node.this:
                raise SdkError("Invalid query: named parameters are not supported; use $1 or ?")
            positional.append(node)
        elif isinstance(node, exp.Parameter):
            inner = node.this
            if not (isinstance(inner, exp.Literal) and inner.name.isdigit()):
                raise SdkError("Invalid query: named parameters are not supported; use $1 or ?")
            numbered.append((int(inner.name), node))
        elif (
            isinstance(node, exp.Column)
            and dialect == "sqlite"
            and not node.table
            and isinstance(node.this, exp.Identifier)
            and not node.this.quoted
            and _SQLITE_DOLLAR.fullmatch(node.name)
        ):
            numbered.append((int(node.name[1:]), node))
    if numbered and positional:
        raise SdkError("Invalid query: use either $1, $2... or ? placeholders, not both")
    for index, node in numbered:
        if not 1 <= index <= MAX_PARAMETERS:
            raise SdkError(f"Invalid query: parameter ${index} is out of range")
        node.replace(exp.Placeholder(this=f"p{index}"))
    for index, node in enumerate(positional, start=1):
        node.replace(exp.Placeholder(this=f"p{index}"))
    if len(positional) > MAX_PARAMETERS:
        raise SdkError(f"Invalid query: more than {MAX_PARAMETERS} parameters")
    misplaced = any(
        isinstance(node.parent, exp.TableAlias | exp.Table) or node.arg_key == "alias"
        for node in tree.find_all(exp.Placeholder)
    ) or any(
        not identifier.quoted and identifier.name[:1] in ("$", "?", ":", "@")
        for identifier in tree.find_all(exp.Identifier)
    )
    if misplaced:
        raise SdkError("Invalid query: a parameter can only stand for a value")
    return max((index for index, _ in numbered), default=len(positional))


def _has_input(node: exp.Expr) -> bool:
    return node.find(exp.Column, exp.Placeholder, exp.Query) is not None


def _check_injection(tree: exp.Expr) -> None:
    for node in tree.walk():
        if isinstance(node, _STRINGS) or (isinstance(node, exp.Literal) and node.is_string):
            raise SdkError(
                "SQL injection detected: string literals are not allowed; pass values as "
                "parameters ($1 or ?)"
            )
        constant: exp.Expr | None = None
        if isinstance(node, exp.Predicate):
            left, right = node.args.get("this"), node.args.get("expression")
            if not _has_input(node) or (left is not None and left == right):
                constant = node
        elif isinstance(node, exp.Or):
            constant = next((side for side in node.flatten() if not _has_input(side)), None)
        if constant is not None:
            raise SdkError(f"SQL injection detected: constant condition {constant.sql()}")


def _check_operation(tree: exp.Expr, mode: Mode, first_word: str) -> str:
    kind = _kind(tree, first_word)
    nodes = list(tree.walk())
    for node in nodes:
        for forbidden, name in _FORBIDDEN:
            if isinstance(node, forbidden):
                raise SdkError(f"Unauthorized operation: {name}")
        if isinstance(node, exp.Command):
            raise SdkError(f"Unauthorized operation: {str(node.this).upper()}")
        if isinstance(node, _DML) and node is not tree:
            where = "writable CTE" if node.find_ancestor(exp.CTE) else "data-modifying subquery"
            raise SdkError(f"Unauthorized operation: {where}")
    for node in nodes:
        _check_clauses(node)
    if mode == "query" and not isinstance(tree, exp.Select | exp.SetOperation):
        raise SdkError(f"Unauthorized operation: {kind} (query and queryOne run SELECT only)")
    if mode == "execute" and not isinstance(tree, _DML):
        raise SdkError(f"Unauthorized operation: {kind} (execute runs INSERT, UPDATE, DELETE only)")
    return kind


def _check_clauses(node: exp.Expr) -> None:
    for kind, allowed in _CLAUSES.items():
        if isinstance(node, kind):
            extra = sorted(k for k, v in node.args.items() if v and k not in allowed)
            if extra:
                raise SdkError(f"Invalid query: unsupported clause {extra[0].rstrip('_')!r}")
    if isinstance(node, exp.Insert):
        alternative = node.args.get("alternative")
        if alternative and str(alternative).upper() != "IGNORE":
            raise SdkError(f"Unauthorized operation: INSERT OR {str(alternative).upper()}")
    if isinstance(node, exp.OnConflict) and str(node.args.get("action")).upper() != "DO NOTHING":
        raise SdkError("Unauthorized operation: ON CONFLICT DO UPDATE")
    if isinstance(node, exp.In) and node.args.get("field"):
        raise SdkError("Invalid query: IN needs a list or a subquery, not a table name")
    if isinstance(node, exp.Cast) and node.to.sql().lower().startswith("reg"):
        raise SdkError(f"Unauthorized operation: cast to {node.to.sql().lower()}")


def _check_functions(tree: exp.Expr, dialect: str) -> None:
    for node in tree.walk():
        if isinstance(node, exp.Column) and (name := keyword_function(node, dialect)):
            raise SdkError(f"Unauthorized operation: function {name}")
        operator = isinstance(node, exp.Binary | exp.Connector)
        if isinstance(node, exp.Func) and not operator and not is_allowed_function(node, dialect):
            raise SdkError(f"Unauthorized operation: function {function_name(node)}")


def _bound_rows(tree: exp.Expr) -> None:
    """Let the database stop at ``:esr_limit`` rows (the caller binds one past its limit)."""
    bound = exp.Placeholder(this=LIMIT_BIND)
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Fetch):
        count = limit.args.get("count")
        if count is not None:
            limit.set("count", exp.Least(this=count, expressions=[bound]))
    elif isinstance(limit, exp.Limit) and not isinstance(limit.expression, exp.Var):
        limit.set("expression", exp.Least(this=limit.expression, expressions=[bound]))
    else:  # no LIMIT, or LIMIT ALL
        tree.set("limit", exp.Limit(expression=bound))


def _kind(tree: exp.Expr, first_word: str) -> str:
    if isinstance(tree, exp.SetOperation):
        return type(tree).__name__.upper()
    if isinstance(tree, exp.Select | exp.Insert | exp.Update | exp.Delete):
        return tree.key.upper()
    return first_word
