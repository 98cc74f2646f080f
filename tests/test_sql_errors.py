"""Driver errors come out of the SQL store as esruntime's own errors, with the driver's as cause.

One test per translation of esruntime/backends/sql/errors.py, each provoked against a real
database: through the public store API where a store call can meet it, else through a driver
connection of the store's engine inside ``translate_errors()`` (what every store call runs in).

The rule they check: StoreUnavailableError (HTTP 503, "try again") only for what may pass;
StoreQueryError (HTTP 400) for what the database will never run; EventStoreError for the rest.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

from esruntime import (
    AppendCondition,
    ConfigurationError,
    DuplicateEventIdError,
    Event,
    EventStoreError,
    InMemoryEventStore,
    IntegrityError,
    InvalidEventError,
    InvalidQueryError,
    Query,
    QueryItem,
    SqlEventStore,
    StoreQueryError,
    StoreUnavailableError,
    create_store_engine,
)
from esruntime.backends.sql.errors import translate_errors

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[SqlEventStore]:
    """An empty store of the default tenant, on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        store = SqlEventStore(sqlite_url)
    else:
        store = SqlEventStore(request.getfixturevalue("postgres_engine"))
    yield store
    store.close()


@pytest.fixture
def store_on_sqlite(sqlite_url: str) -> Iterator[SqlEventStore]:
    store = SqlEventStore(sqlite_url)
    yield store
    store.close()


def types(store: SqlEventStore) -> list[str]:
    return [event.type for event in store.read()]


def psycopg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def driver_connection(engine: sqlalchemy.Engine) -> Iterator[Any]:
    """A driver connection (sqlite3 or psycopg, autocommit) of ``engine``, discarded after."""
    pooled = engine.raw_connection()
    try:
        conn: Any = pooled.driver_connection
        if engine.dialect.name == "postgresql":
            conn.autocommit = True
        yield conn
    finally:
        pooled.invalidate()
        pooled.close()


def sqlite_engine_with_limit(url: str, limit: int, value: int) -> sqlalchemy.Engine:
    """A host's SQLite engine whose connections have one of SQLite's limits lowered."""
    engine = sqlalchemy.create_engine(url)

    @sqlalchemy.event.listens_for(engine, "connect")
    def lower_limit(dbapi_connection: sqlite3.Connection, _: object) -> None:
        dbapi_connection.setlimit(limit, value)

    return engine


def closed_port() -> int:
    """A local TCP port that nothing listens on (it was just free)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- SQLite --------------------------------------------------------------------------------------


def test_sqlite_locked_database_is_store_unavailable(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url, sqlite_busy_timeout=0.1)
    store = SqlEventStore(engine)
    store.append(Event("Before"))
    assert engine.url.database is not None
    locker = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")
        # The store's own append (on its driver connection)...
        with pytest.raises(StoreUnavailableError, match="locked") as raised:
            store.append([Event("Blocked", id="evt_blocked"), Event("Blocked")])
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
        # A remote caller gets a summary without the driver's words.
        assert raised.value.summary == "the SQLite database is busy or unavailable; try again"
        # ...and a write through SQLAlchemy (registering a tenant) are both translated.
        with pytest.raises(StoreUnavailableError, match="locked") as raised:
            store.for_tenant("other")
        cause = raised.value.__cause__
        assert isinstance(cause, sqlalchemy.exc.OperationalError)
        assert isinstance(cause.orig, sqlite3.OperationalError)
        assert store.read().head == 1  # a writer does not block readers in WAL mode
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    assert store.append(Event("After")) == 2
    assert types(store) == ["Before", "After"]
    assert store.get("evt_blocked") is None
    assert store.for_tenant("other").head() is None
    store.close()
    engine.dispose()


def test_sqlite_duplicate_event_id(sqlite_url: str) -> None:
    store = SqlEventStore(sqlite_url)
    store.append(Event("First", id="evt_same"))
    with pytest.raises(DuplicateEventIdError, match="event id already exists") as raised:
        store.append([Event("Second"), Event("Third", id="evt_same")])
    assert isinstance(raised.value.__cause__, sqlite3.IntegrityError)
    assert types(store) == ["First"]
    assert store.append(Event("Fourth")) == 2
    store.close()


def test_sqlite_statement_beyond_its_variable_limit_is_a_store_query_error(
    sqlite_url: str,
) -> None:
    # A database built with a lower limit than the default 32,766 variables: the read of a
    # query of many items needs more than it takes. Retrying cannot help: not "unavailable".
    engine = sqlite_engine_with_limit(sqlite_url, sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 50)
    store = SqlEventStore(engine)
    store.append(Event("Seen", tags=["k:1"]))
    many = Query([QueryItem(types=["Seen"], tags=[f"k:{n}"]) for n in range(40)])
    with pytest.raises(StoreQueryError, match="too many SQL variables") as raised:
        store.read(many)
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    with pytest.raises(StoreQueryError, match="too many SQL variables"):
        store.append(Event("Seen"), AppendCondition(many, after=0))
    assert [e.position for e in store.read(Query([QueryItem(tags=["k:1"])]))] == [1]
    assert store.append(Event("After")) == 2
    store.close()
    engine.dispose()


def test_sqlite_value_too_big_is_a_store_query_error(sqlite_url: str) -> None:
    engine = sqlite_engine_with_limit(sqlite_url, sqlite3.SQLITE_LIMIT_LENGTH, 20_000)
    store = SqlEventStore(engine)
    store.append(Event("Small"))
    with pytest.raises(StoreQueryError, match="too big") as raised:
        store.append([Event("Fine"), Event("Large", {"text": "x" * 30_000})])
    assert isinstance(raised.value.__cause__, sqlite3.DataError)
    assert types(store) == ["Small"]
    assert store.append(Event("After")) == 2
    store.close()
    engine.dispose()


def test_sqlite_sql_it_cannot_run_is_a_store_query_error(store_on_sqlite: SqlEventStore) -> None:
    with driver_connection(store_on_sqlite.engine) as conn:
        # One more variable than this build of SQLite takes (32,766 by default).
        variables = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) + 1
        statements = [
            ("SELCT 1", "syntax error"),
            ("SELECT * FROM esr_no_such_table", "no such table"),
            ("SELECT 1 WHERE 1 IN (" + ", ".join(["?"] * variables) + ")", "too many SQL vari"),
        ]
        for sql, message in statements:
            params = [1] * sql.count("?")
            with pytest.raises(StoreQueryError, match=message) as raised, translate_errors():
                conn.execute(sql, params)
            assert isinstance(raised.value.__cause__, sqlite3.OperationalError)


def test_sqlite_integer_beyond_64_bits_is_a_store_query_error(
    store_on_sqlite: SqlEventStore,
) -> None:
    # sqlite3 raises OverflowError itself, which is not a sqlite3.Error.
    with (
        driver_connection(store_on_sqlite.engine) as conn,
        pytest.raises(StoreQueryError, match="too large") as raised,
        translate_errors(),
    ):
        conn.execute("SELECT ?", (2**70,))
    assert isinstance(raised.value.__cause__, OverflowError)
    # The store itself reads such numbers as the largest position.
    store_on_sqlite.append(Event("A"))
    assert len(store_on_sqlite.read(limit=2**70).events) == 1


def test_sqlite_file_that_is_not_a_database_is_a_store_error(tmp_path: Any) -> None:
    # Neither the caller's fault (400) nor a moment's outage (503): the server's own problem.
    path = tmp_path / "not-a-database.db"
    path.write_bytes(b"this is no SQLite file, " * 1000)
    with pytest.raises(EventStoreError, match="not a database") as raised:
        SqlEventStore(f"sqlite:///{path}")
    assert type(raised.value) is EventStoreError
    cause = raised.value.__cause__
    assert isinstance(cause, sqlalchemy.exc.DatabaseError)
    assert getattr(cause.orig, "sqlite_errorname", None) == "SQLITE_NOTADB"


# -- PostgreSQL ----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_duplicate_event_id(postgres_engine: sqlalchemy.Engine) -> None:
    store = SqlEventStore(postgres_engine)
    store.append(Event("First", id="evt_same"))
    with pytest.raises(DuplicateEventIdError, match="event id already exists") as raised:
        store.append([Event("Second"), Event("Third", id="evt_same")])
    assert isinstance(raised.value.__cause__, psycopg.errors.UniqueViolation)
    assert "evt_same" in str(raised.value)
    assert types(store) == ["First"]
    assert store.append(Event("Fourth")) == 2


@pytest.mark.postgres  # needs psycopg, not a server: nothing listens on the port
def test_postgres_server_that_does_not_answer_is_store_unavailable() -> None:
    port = closed_port()
    url = f"postgresql://postgres@127.0.0.1:{port}/test"
    with pytest.raises(StoreUnavailableError, match=str(port)) as raised:
        SqlEventStore(url)
    assert raised.value.summary == "the PostgreSQL database does not answer or is busy; try again"
    cause = raised.value.__cause__
    assert isinstance(cause, sqlalchemy.exc.OperationalError)
    assert isinstance(cause.orig, psycopg.OperationalError)

    engine = create_store_engine(url)  # lazy: connects on first use, in the store
    with pytest.raises(StoreUnavailableError):
        SqlEventStore(engine, create_tables=False)
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("conditional", [False, True], ids=["plain", "conditional"])
def test_postgres_lock_timeout_is_store_unavailable(
    clean_postgres_url: str, conditional: bool
) -> None:
    engine = create_store_engine(
        clean_postgres_url, connect_args={"options": "-c lock_timeout=200"}
    )
    store = SqlEventStore(engine)
    store.append(Event("Before", tags=["seat:1"]))
    query = Query([QueryItem(tags=["seat:1"])])
    condition = AppendCondition(query, after=1) if conditional else None
    try:
        with psycopg.connect(psycopg_conninfo(clean_postgres_url)) as locker:
            # Every append inserts into esr_events, whatever lock it takes first; SHARE mode
            # blocks writers and lets readers through.
            locker.execute("LOCK TABLE esr_events IN SHARE MODE")
            with pytest.raises(StoreUnavailableError, match="lock") as raised:
                store.append(Event("Blocked", id="evt_blocked", tags=["seat:1"]), condition)
            assert isinstance(raised.value.__cause__, psycopg.errors.LockNotAvailable)
            assert store.read().head == 1  # reads take no lock
            locker.rollback()

        # The connection that timed out went back to the pool in a usable state.
        assert store.append(Event("After", tags=["seat:1"]), condition) == 2
        assert store.append(Event("Again")) == 3
        assert types(store) == ["Before", "After", "Again"]
        assert store.get("evt_blocked") is None
    finally:
        store.close()
        engine.dispose()


@pytest.mark.postgres
def test_postgres_statement_beyond_the_parameter_limit_is_a_store_query_error(
    postgres_engine: sqlalchemy.Engine,
) -> None:
    # libpq refuses to send more than 65,535 parameters, with no SQLSTATE.
    store = SqlEventStore(postgres_engine)
    with driver_connection(postgres_engine) as conn:
        sql = "SELECT 1 WHERE 1 IN (" + ", ".join(["%s"] * 70_000) + ")"
        with (
            pytest.raises(StoreQueryError, match="number of parameters") as raised,
            translate_errors(),
        ):
            conn.execute(sql, [1] * 70_000)
        assert isinstance(raised.value.__cause__, psycopg.OperationalError)
        assert conn.execute("SELECT 2").fetchone() == (2,)  # the connection is still fine
    assert store.append(Event("After")) == 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sql", "sqlstate"),
    [
        ("SELECT 1 / 0", "22012"),  # data exception
        ("SELECT 'x'::int", "22P02"),
        ("SELCT 1", "42601"),  # syntax error
        ("SELECT * FROM esr_no_such_table", "42P01"),
        ("SELECT " + ", ".join(["1"] * 1700), "54011"),  # program limit exceeded
    ],
    ids=["division-by-zero", "bad-cast", "syntax", "no-table", "too-many-columns"],
)
def test_postgres_statement_it_can_never_run_is_a_store_query_error(
    postgres_engine: sqlalchemy.Engine, sql: str, sqlstate: str
) -> None:
    SqlEventStore(postgres_engine)  # the tables
    with (
        driver_connection(postgres_engine) as conn,
        pytest.raises(StoreQueryError, match=sqlstate) as raised,
        translate_errors(),
    ):
        conn.execute(sql)
    assert getattr(raised.value.__cause__, "sqlstate", None) == sqlstate


@pytest.mark.postgres
def test_postgres_value_the_client_cannot_send_is_a_store_query_error(
    postgres_engine: sqlalchemy.Engine,
) -> None:
    with (
        driver_connection(postgres_engine) as conn,
        pytest.raises(StoreQueryError, match="NUL") as raised,
        translate_errors(),
    ):
        conn.execute("SELECT %s", ("a\x00b",))
    assert isinstance(raised.value.__cause__, psycopg.DataError)


@pytest.mark.postgres
def test_postgres_statement_timeout_is_store_unavailable(
    postgres_engine: sqlalchemy.Engine,
) -> None:
    with driver_connection(postgres_engine) as conn:
        conn.execute("SET statement_timeout = 1")
        with (
            pytest.raises(StoreUnavailableError, match="statement timeout") as raised,
            translate_errors(),
        ):
            conn.execute("SELECT pg_sleep(5)")
    assert isinstance(raised.value.__cause__, psycopg.errors.QueryCanceled)


@pytest.mark.postgres
def test_postgres_pool_exhausted_is_store_unavailable(postgres_url: str) -> None:
    engine = create_store_engine(postgres_url, pool_size=1, max_overflow=0, pool_timeout=0.1)
    store = SqlEventStore(engine)
    with (
        engine.connect(),  # the pool's only connection, held
        pytest.raises(StoreUnavailableError, match="no database connection was free") as raised,
    ):
        store.read()
    assert raised.value.summary == "no database connection was free in time; try again"
    assert store.append(Event("After")) == 1
    store.close()
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("statements", "sqlstate"),
    [
        (
            [  # a role without privileges: the server's configuration, not the call
                "CREATE ROLE esr_test_no_privileges",
                "SET LOCAL ROLE esr_test_no_privileges",
                "SELECT * FROM esr_events",
            ],
            "42501",
        ),
        (["SELECT 1 / 0", "SELECT 1"], "25P02"),  # a statement in an aborted transaction
    ],
    ids=["insufficient-privilege", "aborted-transaction"],
)
def test_postgres_other_errors_are_neither_unavailable_nor_the_callers(
    postgres_engine: sqlalchemy.Engine, statements: list[str], sqlstate: str
) -> None:
    SqlEventStore(postgres_engine)  # the tables
    with driver_connection(postgres_engine) as conn:
        conn.execute("BEGIN")
        for sql in statements[:-1]:
            with suppress(psycopg.Error):  # the aborted transaction's first error
                conn.execute(sql)
        with pytest.raises(EventStoreError, match=sqlstate) as raised, translate_errors():
            conn.execute(statements[-1])
        conn.execute("ROLLBACK")
    assert type(raised.value) is EventStoreError
    assert getattr(raised.value.__cause__, "sqlstate", None) == sqlstate


@pytest.mark.parametrize("tenant", ["", "t" * 201, "tenant-\ud800", "a\nb", 7])
def test_bad_tenant_names_are_refused_before_any_sql(sqlite_url: str, tenant: object) -> None:
    with pytest.raises(ConfigurationError, match="tenant name"):
        SqlEventStore(sqlite_url, tenant=tenant)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="tenant name"):
        InMemoryEventStore(tenant)  # type: ignore[arg-type]


def test_errors_raised_through_sqlalchemy_are_translated(store: SqlEventStore) -> None:
    # SQLAlchemy wraps the driver's error (a data or integrity error, not "unavailable").
    statement = (
        "SELECT 1 / 0"
        if store.engine.dialect.name == "postgresql"
        else "INSERT INTO esr_tenants (id, name) SELECT id, name FROM esr_tenants"
    )
    with (
        pytest.raises(StoreQueryError) as raised,
        translate_errors(),
        store.engine.connect() as conn,
    ):
        conn.exec_driver_sql(statement)
    assert isinstance(raised.value.__cause__, sqlalchemy.exc.DBAPIError)
    assert store.append(Event("After")) == 1


# -- both backends -------------------------------------------------------------------------------


def test_text_the_driver_cannot_encode_is_invalid_input(store: SqlEventStore) -> None:
    store.append(Event("Before"))
    # Lookups refuse such text before it reaches the driver...
    with pytest.raises(InvalidQueryError, match="event_id"):
        store.get("evt-\ud800")
    # ... and the driver's own refusal (a lone surrogate cannot be UTF-8) is translated too.
    pooled = store.engine.raw_connection()
    try:
        placeholder = "%s" if store.engine.dialect.name == "postgresql" else "?"
        with (
            pytest.raises(InvalidQueryError, match="cannot be encoded as UTF-8") as raised,
            translate_errors(),
        ):
            pooled.driver_connection.execute(f"SELECT {placeholder}", ("\ud800",))  # type: ignore[union-attr]
        assert isinstance(raised.value.__cause__, UnicodeEncodeError)
    finally:
        pooled.invalidate()
        pooled.close()
    assert store.append(Event("After")) == 2
    assert types(store) == ["Before", "After"]


def test_a_parameter_the_driver_cannot_bind_is_a_store_error(store: SqlEventStore) -> None:
    # Refused by the driver, not the database (sqlite3 / psycopg ProgrammingError). It is the
    # caller's mistake: retrying cannot help, so it must not look like StoreUnavailableError.
    with pytest.raises(InvalidQueryError, match="event_type"):
        store.count(object())  # type: ignore[arg-type]
    pooled = store.engine.raw_connection()
    try:
        placeholder = "%s" if store.engine.dialect.name == "postgresql" else "?"
        with pytest.raises(StoreQueryError) as raised, translate_errors():
            pooled.driver_connection.execute(f"SELECT {placeholder}", (object(),))  # type: ignore[union-attr]
        assert type(raised.value.__cause__).__name__ == "ProgrammingError"
    finally:
        pooled.invalidate()
        pooled.close()
    assert store.append(Event("After")) == 1


def test_esruntime_errors_pass_through_unchanged(store: SqlEventStore) -> None:
    store.append(Event("Claimed", tags=["seat:1"]))
    seat = Query([QueryItem(tags=["seat:1"])])
    # Raised inside the store's translated block: a failed condition stays an IntegrityError.
    with pytest.raises(IntegrityError) as conflict:
        store.append(Event("Claimed", tags=["seat:1"]), AppendCondition(seat, after=0))
    assert conflict.type is IntegrityError
    assert conflict.value.__cause__ is None
    # Refused before any SQL: bad input stays an InvalidEventError.
    with pytest.raises(InvalidEventError) as invalid:
        store.append(Event("Bad", {"not json": object()}))
    assert invalid.type is InvalidEventError
    assert invalid.value.__cause__ is None
    assert store.append(Event("Fine")) == 2


class LooksLikeADriverError(Exception):
    sqlstate = "08006"  # "connection failure", but not from psycopg


@pytest.mark.parametrize("error", [ValueError("plain"), LooksLikeADriverError("not psycopg")])
def test_other_exceptions_pass_through_translation_unchanged(error: Exception) -> None:
    with pytest.raises(type(error)) as raised, translate_errors():
        raise error
    assert raised.value is error
