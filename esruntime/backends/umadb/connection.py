"""Connecting to a UmaDB server from a ``umadb://`` URL, and translating the client's errors.

``umadb://host:port`` connects without TLS; the query parameters are the client's options:
``tls=true`` (TLS with the system's CAs), ``ca=/path/ca.pem`` (TLS trusting that CA, for a
self-signed server), ``api_key=...`` (the server's ``--api-key``; TLS only), ``batch_size=N``
(events per read batch) and ``database=<SQLAlchemy URL>`` (where a runtime keeps everything else).
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

from attrs import frozen

from esruntime.errors import (
    ConfigurationError,
    EsruntimeError,
    EventStoreError,
    IntegrityError,
    InvalidEventError,
    StoreQueryError,
    StoreUnavailableError,
)


def _import_umadb() -> None:
    # Importing umadb replaces the SIGINT handler of the process; a library must not.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None
    try:
        import umadb  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"the UmaDB backend needs the umadb package: pip install 'esruntime[umadb]' ({exc})"
        ) from exc
    finally:
        if main and previous is not None:
            signal.signal(signal.SIGINT, previous)


_import_umadb()
import umadb  # noqa: E402

__all__ = ["UmaDbUrl", "connect", "translate_errors"]

_OPTIONS = {"tls", "ca", "api_key", "batch_size", "database"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
MAX_BATCH_SIZE = 100_000
NOT_ANSWERING = "the event store (UmaDB) does not answer; try again"
"""The summary of a lost or refused connection: what the HTTP API's 503 says."""
REFUSED_KEY = "the event store (UmaDB) refused this server's API key"
"""The summary of a refused API key (the runtime's configuration, not the caller's request)."""
_TRANSIENT = re.compile(
    r"unavailable|connect|transport|broken pipe|cancel|timed? ?out|deadline", re.I
)


@frozen
class UmaDbUrl:
    """A parsed ``umadb://`` URL: the server's gRPC address and the client's options."""

    address: str
    ca_path: str | None = None
    api_key: str | None = None
    batch_size: int | None = None
    database: str | None = None

    @classmethod
    def parse(cls, url: str) -> UmaDbUrl:
        """Parse ``url``; ConfigurationError names what is wrong with it."""
        if not isinstance(url, str) or len(url) > 4096:
            raise ConfigurationError("a UmaDB URL is a string of at most 4096 characters")
        parts = urlsplit(url)
        if parts.scheme != "umadb":
            raise ConfigurationError(f"a UmaDB URL starts with umadb://, got {url[:40]!r}")
        try:
            host, port = parts.hostname, parts.port
        except ValueError as exc:
            raise ConfigurationError(f"bad UmaDB URL: {exc}") from None
        if not host or port is None or parts.path not in ("", "/") or parts.username:
            raise ConfigurationError(
                "a UmaDB URL is umadb://host:port with options as query parameters"
            )
        try:
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError as exc:
            raise ConfigurationError(f"bad UmaDB URL query: {exc}") from None
        unknown = sorted(set(query) - _OPTIONS)
        if unknown or any(len(values) > 1 for values in query.values()):
            raise ConfigurationError(
                f"UmaDB URL options are {sorted(_OPTIONS)}, each at most once; got {sorted(query)}"
            )
        options = {name: values[0] for name, values in query.items()}
        tls = _flag(options.get("tls", "false"))
        ca_path = options.get("ca") or None
        batch_size = _batch_size(options.get("batch_size"))
        scheme = "https" if tls or ca_path else "http"
        if options.get("api_key") and scheme == "http":
            raise ConfigurationError(
                "the UmaDB client sends an API key only over TLS: add tls=true or ca=<path>"
            )
        shown_host = f"[{host}]" if ":" in host else host
        return cls(
            f"{scheme}://{shown_host}:{port}",
            ca_path,
            options.get("api_key") or None,
            batch_size,
            options.get("database") or None,
        )


def _flag(value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ConfigurationError(f"the UmaDB URL option tls is true or false, got {value!r}")


def _batch_size(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_BATCH_SIZE:
        raise ConfigurationError(
            f"the UmaDB URL option batch_size is an integer from 1 to {MAX_BATCH_SIZE}, "
            f"got {value[:20]!r}"
        )
    return int(value)


def connect(url: UmaDbUrl) -> umadb.Client:
    """A client of the server at ``url``; StoreUnavailableError when it does not answer."""
    with translate_errors(url.address):
        return umadb.Client(
            url.address, ca_path=url.ca_path, batch_size=url.batch_size, api_key=url.api_key
        )


@contextmanager
def translate_errors(address: str | None = None) -> Iterator[None]:
    """Raise the client's errors as esruntime's, keeping the server's message (and naming the
    server's ``address`` when given)."""
    try:
        yield
    except EsruntimeError:
        raise
    except umadb.IntegrityError as exc:
        raise IntegrityError(f"append condition failed: {_first_line(exc)}") from exc
    except (umadb.TransportError, umadb.CancelledByUserError) as exc:
        raise _not_answering(exc, address) from exc
    except umadb.AuthenticationError as exc:
        raise StoreUnavailableError(
            f"the UmaDB server refused the API key: {_first_line(exc)}", summary=REFUSED_KEY
        ) from exc
    except umadb.CorruptionError as exc:
        raise EventStoreError(f"the UmaDB server reports corruption: {_first_line(exc)}") from exc
    except ValueError as exc:
        raise InvalidEventError(f"the UmaDB server refused the request: {exc}") from exc
    except Exception as exc:
        # The client raises a bare Exception (or RuntimeError) for other failures: its message
        # tells a lost connection from a refused request (a message too large, ...).
        if type(exc) not in (Exception, RuntimeError, OSError):
            raise
        if _TRANSIENT.search(str(exc)):
            raise _not_answering(exc, address) from exc
        raise StoreQueryError(f"the UmaDB server refused the request: {_first_line(exc)}") from exc


def _not_answering(exc: BaseException, address: str | None) -> StoreUnavailableError:
    # The client's text (a gRPC status, the transport's error) and the server's address are for
    # the log; a caller over HTTP gets the summary.
    server = "the UmaDB server" if address is None else f"the UmaDB server at {address}"
    return StoreUnavailableError(
        f"{server} does not answer: {_first_line(exc)}", summary=NOT_ANSWERING
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:500] if text else type(exc).__name__
