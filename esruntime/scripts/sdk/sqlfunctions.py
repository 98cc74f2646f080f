"""The SQL functions scripts may call: an allowlist, because a denylist cannot keep up.

PostgreSQL alone has hundreds of functions that reach outside a tenant's rows: reading files
(``pg_read_file``, ``lo_import``), running SQL given as text (``query_to_xml``, ``ts_stat``,
``dblink``), whole tables by name (``table_to_xml``), settings (``current_setting``,
``set_config``), sleeping, locking, signalling other sessions; SQLite has ``load_extension``,
``readfile``, ``writefile``. Only functions that compute from their arguments are listed here,
and none that can build huge values from small inputs (``repeat``, ``lpad``, ``zeroblob``,
``printf``). A function sqlglot knows is listed by its expression class; one it does not know
(parsed as ``Anonymous``) by its lower-case name, per dialect.

PostgreSQL also has functions written without parentheses, as keywords: ``user``,
``current_role``, ``session_user``... sqlglot reads some of them as functions and others as a
column of that name; :func:`keyword_function` finds the latter, so that every one of them meets
the same allowlist (only the date and time ones are on it).
"""

from __future__ import annotations

from sqlglot import exp

__all__ = ["function_name", "is_allowed_function", "keyword_function"]

_CLASSES = frozenset(
    {
        # aggregates
        "Count", "Sum", "Avg", "Min", "Max", "ArrayAgg", "GroupConcat", "LogicalAnd",
        "LogicalOr", "Stddev", "StddevPop", "StddevSamp", "Variance", "VariancePop",
        "PercentileCont", "PercentileDisc", "JSONArrayAgg", "JSONObjectAgg", "AnyValue",
        # window functions
        "RowNumber", "Rank", "DenseRank", "Lag", "Lead", "FirstValue", "LastValue", "NthValue",
        "Ntile", "PercentRank", "CumeDist",
        # conditionals and structure
        "Case", "If", "Coalesce", "Nullif", "Greatest", "Least", "Cast", "TryCast", "Exists",
        "Array", "Explode", "Unnest", "ExplodingGenerateSeries", "GenerateSeries", "ArraySize",
        "ArrayContains", "Struct",
        # numbers
        "Abs", "Ceil", "Floor", "Round", "Sign", "Sqrt", "Ln", "Log", "Exp", "Trunc", "Rand",
        "WidthBucket", "Pow", "Mod", "Div",
        # text
        "Lower", "Upper", "Length", "Trim", "Substring", "Concat", "ConcatWs", "StrPosition",
        "Left", "Right", "Initcap", "Reverse", "SplitPart", "MD5", "StartsWith", "Replace",
        "Hex", "Unicode", "Chr", "Typeof", "RegexpLike", "RegexpReplace", "RegexpExtract",
        # dates and times
        "CurrentTimestamp", "CurrentDate", "CurrentTime", "Localtime", "Localtimestamp",
        "TimestampTrunc", "DateTrunc", "Extract", "Date", "TimeToStr", "StrToDate", "StrToTime",
        "UnixToTime", "TsOrDsToTimestamp", "ToNumber",
        # json and ids
        "JSONExtract", "JSONExtractScalar", "JSONBExtract", "JSONBExtractScalar", "ParseJSON",
        "JSONArray", "JSONObject", "Uuid",
    }
)  # fmt: skip

_POSTGRES = frozenset(
    {
        "age", "make_date", "make_time", "make_timestamp", "make_timestamptz", "make_interval",
        "justify_days", "justify_hours", "justify_interval", "isfinite", "date_bin",
        "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array",
        "jsonb_agg", "json_object_agg", "jsonb_object_agg", "to_json", "to_jsonb",
        "json_typeof", "jsonb_typeof", "json_array_length", "jsonb_array_length",
        "json_extract_path", "jsonb_extract_path", "json_extract_path_text",
        "jsonb_extract_path_text", "json_array_elements", "jsonb_array_elements",
        "json_array_elements_text", "jsonb_array_elements_text", "json_each", "jsonb_each",
        "json_each_text", "jsonb_each_text", "json_object_keys", "jsonb_object_keys",
        "jsonb_set", "jsonb_insert", "jsonb_strip_nulls", "jsonb_path_exists",
        "jsonb_path_query_first", "cardinality", "array_position", "array_remove",
        "array_append", "array_prepend", "array_cat", "array_to_string", "string_to_array",
        "regexp_matches", "regexp_split_to_array", "btrim", "octet_length", "translate",
        "ascii", "num_nonnulls", "num_nulls", "to_timestamp", "to_char", "to_date",
    }
)  # fmt: skip

_SQLITE = frozenset(
    {
        "total", "iif", "ifnull", "instr", "quote", "time", "datetime", "julianday", "strftime",
        "unixepoch", "json", "json_array", "json_object", "json_array_length", "json_extract",
        "json_type", "json_valid", "json_quote", "json_insert", "json_replace", "json_set",
        "json_remove", "json_patch", "json_each", "json_tree", "ltrim", "rtrim", "likely",
        "unlikely", "likelihood", "sign", "round", "char", "glob", "like",
    }
)  # fmt: skip

_ANONYMOUS = {"postgres": _POSTGRES, "sqlite": _SQLITE}

# PostgreSQL's grammar (func_expr_common_subexpr): these words, unquoted and unqualified, call a
# function whatever the tables hold; the date and time ones of that list parse as functions.
_POSTGRES_KEYWORD_FUNCTIONS = frozenset(
    {
        "current_catalog", "current_role", "current_schema", "current_user", "session_user",
        "system_user", "user", "current_date", "current_time", "current_timestamp", "localtime",
        "localtimestamp",
    }
)  # fmt: skip
_KEYWORD_FUNCTIONS = {"postgres": _POSTGRES_KEYWORD_FUNCTIONS, "sqlite": frozenset[str]()}
_ALLOWED_KEYWORDS = frozenset(
    {"current_date", "current_time", "current_timestamp", "localtime", "localtimestamp"}
)


def function_name(node: exp.Func) -> str:
    """The name a refusal reports: as written for unknown functions, else sqlglot's."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return str(node.sql_name()).lower()


def keyword_function(node: exp.Column, dialect: str) -> str | None:
    """The function a column reference calls in this dialect (``user``), if a refused one."""
    identifier = node.this
    if node.table or not isinstance(identifier, exp.Identifier) or identifier.quoted:
        return None
    name = str(identifier.name).lower()
    if name in _KEYWORD_FUNCTIONS[dialect] and name not in _ALLOWED_KEYWORDS:
        return name
    return None


def is_allowed_function(node: exp.Func, dialect: str) -> bool:
    """Whether a script may call this function (operators such as AND are not asked about)."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower() in _ANONYMOUS[dialect]
    return type(node).__name__ in _CLASSES
