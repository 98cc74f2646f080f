"""Fixtures shared by the test suite: stores on each backend, PostgreSQL discovery."""

from __future__ import annotations

import os
import signal
import tempfile

# Compiled WebAssembly modules of the tests go to a throwaway directory, not the user's cache.
os.environ.setdefault("ESRUNTIME_WASM_CACHE_DIR", tempfile.mkdtemp(prefix="esruntime-wasm-"))
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import make_url

from esruntime.backends.sql import SqlEventStore, create_store_engine
from esruntime.backends.sql.tables import metadata
from tests.umadb_server import UmaDbServer, umadb_unavailable

# A busy machine must not fail a property: no example has a deadline, and slow data generation is
# no failure. Loaded here, before any test module is imported, so every @settings inherits it.
settings.register_profile(
    "esruntime", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("esruntime")

# A suite started as a background job of a shell without job control inherits SIGINT ignored, and
# so would every server it starts: Ctrl-C (the tests' SIGINT) would then not reach them. Handled
# here, the servers start with the default action again (an ignored signal stays ignored across
# exec; a handled one does not).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

POSTGRES_URL = os.environ.get(
    "ESRUNTIME_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("ESRUNTIME_REQUIRE_POSTGRES") == "1"
TEST_DATABASE = f"esruntime_test_{os.getpid()}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped at the end; skip when none answers."""
    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {TEST_DATABASE}")
            conn.exec_driver_sql(f"CREATE DATABASE {TEST_DATABASE}")
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        reason = f"no PostgreSQL server answers at {POSTGRES_URL} ({str(exc).splitlines()[0]})"
        if REQUIRE_POSTGRES:
            pytest.fail(f"ESRUNTIME_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    yield make_url(POSTGRES_URL).set(database=TEST_DATABASE).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
    admin.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[sqlalchemy.Engine]:
    """An engine on empty event tables."""
    engine = create_store_engine(postgres_url)
    metadata.drop_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/events.db"


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "umadb"]
)
def runtime_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A URL for ``Runtime.from_url`` on each backend, the database empty."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runtime.db"
    if request.param == "umadb":
        server: UmaDbServer = request.getfixturevalue("umadb_server")
        return f"{server.url}?database=" + quote(f"sqlite:///{tmp_path}/runtime.db", safe="")
    request.getfixturevalue("postgres_engine")  # empties the database
    postgres_url: str = request.getfixturevalue("postgres_url")
    return postgres_url


def sql_store_factory(
    engine: sqlalchemy.Engine, *, group_commit: bool = True
) -> Callable[..., SqlEventStore]:
    """Stores of ``engine``: concurrent appends are committed in groups unless told not to."""

    def make(tenant: str = "default", **options: Any) -> SqlEventStore:
        options.setdefault("group_commit", group_commit)
        return SqlEventStore(engine, tenant, **options)

    return make


@pytest.fixture
def clean_postgres_url(postgres_url: str, postgres_engine: sqlalchemy.Engine) -> str:
    """The URL of a PostgreSQL database without event tables, for stores in other processes."""
    return postgres_url


@pytest.fixture
def umadb_server(tmp_path: Any) -> Iterator[UmaDbServer]:
    """A fresh UmaDB server (empty, on a free port) for one test; stopped after it."""
    try:
        import umadb  # noqa: F401
    except ImportError as exc:
        umadb_unavailable(f"the umadb package is not installed ({exc})")
    server = UmaDbServer(tmp_path / "umadb").start()
    yield server
    server.stop()
