"""Confining a checked statement to one tenant: ``tenant_id = :esr_tenant`` on every table.

Every table a statement *reads* (in FROM, JOIN, subqueries, CTE bodies, set operations, UPDATE
FROM, DELETE USING, INSERT ... SELECT) is replaced by a derived table holding only the tenant's
rows, ``(SELECT * FROM t WHERE t.tenant_id = :esr_tenant) AS t``: outer joins, correlated
subqueries and ``t.column`` references keep their meaning. The target of UPDATE and DELETE gets
the condition added to its WHERE; INSERT gets the ``tenant_id`` column and value appended, and
a script may neither name ``tenant_id`` in an INSERT nor assign it in an UPDATE.

A name that refers to a CTE is left alone only when the CTE is certainly in scope (an ancestor
query's WITH; earlier siblings, or any sibling in WITH RECURSIVE); every other name is treated as
a table, so a mistake can only over-filter, never expose rows. Schema-qualified names and the
system tables (``pg_*``, ``sqlite_*``, the runtime's own ``esr_*``) are refused.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlglot import exp

from esruntime.errors import SdkError

__all__ = ["TENANT_BIND", "TENANT_COLUMN", "confine_to_tenant"]

TENANT_COLUMN = "tenant_id"
TENANT_BIND = "esr_tenant"
_SYSTEM_PREFIXES = ("pg_", "sqlite_", "esr_", "information_schema")
_TABLE_CLAUSES = frozenset({"this", "alias", "db", "catalog", "only"})


def confine_to_tenant(tree: exp.Expr, dialect: str, tables: Collection[str] | None = None) -> None:
    """Rewrite ``tree`` in place; ``tables`` (lower-case names) limits which tables it may use."""
    for table in list(tree.find_all(exp.Table)):
        if isinstance(table.this, exp.Func):
            continue  # a table function such as generate_series: checked as a function
        if not isinstance(table.this, exp.Identifier):
            raise SdkError("Invalid query: unsupported table reference")
        extra = sorted(k for k, v in table.args.items() if v and k not in _TABLE_CLAUSES)
        if extra:
            raise SdkError(f"Invalid query: unsupported table clause {extra[0].rstrip('_')!r}")
        parent = table.parent
        if isinstance(parent, exp.Update | exp.Delete) and parent.this is table:
            _check_table(table, dialect, tables)
            _filter_target(parent, table, dialect)
        elif isinstance(parent, exp.Insert) and parent.this is table:
            raise SdkError("Invalid query: INSERT must name its columns")
        elif (
            isinstance(parent, exp.Schema)
            and isinstance(parent.parent, exp.Insert)
            and parent.parent.this is parent
        ):
            _check_table(table, dialect, tables)
            _fill_tenant(parent.parent, parent, dialect)
        elif not _is_cte_reference(table, dialect):
            _check_table(table, dialect, tables)
            table.replace(_tenant_rows(table))


def _norm(identifier: exp.Identifier, dialect: str) -> str:
    """The name the database resolves: SQLite ignores case; PostgreSQL folds unquoted names."""
    name = str(identifier.this)
    return name if identifier.quoted and dialect == "postgres" else name.lower()


def _check_table(table: exp.Table, dialect: str, tables: Collection[str] | None) -> None:
    if table.args.get("db") or table.args.get("catalog"):
        raise SdkError(f"Unauthorized operation: table {table.sql()} (schema-qualified)")
    name = _norm(table.this, dialect)
    if name.lower().startswith(_SYSTEM_PREFIXES) or (tables is not None and name not in tables):
        raise SdkError(f"Unauthorized operation: table {name}")


def _tenant_condition(qualifier: exp.Identifier) -> exp.Expr:
    column = exp.Column(this=exp.to_identifier(TENANT_COLUMN), table=qualifier.copy())
    return exp.EQ(this=column, expression=exp.Placeholder(this=TENANT_BIND))


def _tenant_rows(table: exp.Table) -> exp.Subquery:
    alias = table.args.get("alias")
    inner = exp.Table(this=table.this.copy(), only=table.args.get("only"))
    rows = exp.Select(
        expressions=[exp.Star()],
        from_=exp.From(this=inner),
        where=exp.Where(this=_tenant_condition(table.this)),
    )
    return exp.Subquery(this=rows, alias=alias.copy() if alias else exp.TableAlias(this=table.this))


def _filter_target(statement: exp.Update | exp.Delete, table: exp.Table, dialect: str) -> None:
    if isinstance(statement, exp.Update):
        for assignment in statement.expressions:
            for column in assignment.this.find_all(exp.Column):
                if _norm(column.this, dialect) == TENANT_COLUMN:
                    raise SdkError(f"Unauthorized operation: {TENANT_COLUMN} is set by the runtime")
    alias = table.args.get("alias")
    condition = _tenant_condition(alias.this if alias else table.this)
    where = statement.args.get("where")
    if where is not None:
        condition = exp.And(this=exp.Paren(this=where.this), expression=condition)
    statement.set("where", exp.Where(this=condition))


def _fill_tenant(insert: exp.Insert, schema: exp.Schema, dialect: str) -> None:
    for column in schema.expressions:
        if isinstance(column, exp.Identifier) and _norm(column, dialect) == TENANT_COLUMN:
            raise SdkError(f"Unauthorized operation: {TENANT_COLUMN} is set by the runtime")
    schema.append("expressions", exp.to_identifier(TENANT_COLUMN))
    source = insert.expression
    if isinstance(source, exp.Values):
        for row in source.expressions:
            if not isinstance(row, exp.Tuple):
                raise SdkError("Invalid query: unsupported VALUES row")
            row.append("expressions", exp.Placeholder(this=TENANT_BIND))
    elif isinstance(source, exp.Query):
        source_alias = exp.to_identifier("esr_source")
        wrapped = exp.Select(
            expressions=[
                exp.Column(this=exp.Star(), table=source_alias),
                exp.Placeholder(this=TENANT_BIND),
            ],
            from_=exp.From(
                this=exp.Subquery(this=source, alias=exp.TableAlias(this=source_alias.copy()))
            ),
        )
        insert.set("expression", wrapped)
    else:
        raise SdkError("Invalid query: INSERT needs VALUES or a SELECT")


def _is_cte_reference(table: exp.Table, dialect: str) -> bool:
    if table.args.get("db") or table.args.get("catalog"):
        return False
    name = _norm(table.this, dialect)
    child: exp.Expr = table
    node = table.parent
    while node is not None:
        visible: list[exp.Expr] = []
        if isinstance(node, exp.With) and isinstance(child, exp.CTE):
            siblings = list(node.expressions)
            index = next(i for i, cte in enumerate(siblings) if cte is child)
            visible = siblings if node.args.get("recursive") else siblings[:index]
        elif isinstance(node.args.get("with_"), exp.With) and child is not node.args["with_"]:
            visible = list(node.args["with_"].expressions)
        if any(_norm(cte.args["alias"].this, dialect) == name for cte in visible):
            return True
        child, node = node, node.parent
    return False
