"""The pages' settings, relative times and routes on their own; random requests never 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esruntime.errors import ConfigurationError
from esruntime.runtime import Runtime
from esruntime.web.messages import WebRequest
from esruntime.web.pages import PAGE_ROUTES, PagesConfig, ScriptPages
from esruntime.web.pages.render import relative_time
from esruntime.web.pages.routes import match

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(seconds=3), "just now"),
        (timedelta(seconds=42), "42 s ago"),
        (timedelta(minutes=5, seconds=59), "5 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=2), "2 d ago"),
        (timedelta(days=65), "2 mo ago"),
        (timedelta(days=800), "2 y ago"),
        (-timedelta(hours=2), "in 2 h"),
    ],
)
def test_relative_times(delta: timedelta, shown: str) -> None:
    assert relative_time(NOW - delta, NOW) == shown
    assert relative_time(None) == "—"


@pytest.mark.parametrize(
    "options",
    [
        {"prefix": "scripts"},
        {"prefix": "/scripts/"},
        {"secret_key": "short"},
        {"monaco_url": "javascript:alert(1)"},
        {"monaco_url": "https://x.example/'none'"},
    ],
)
def test_bad_settings_are_refused(options: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        PagesConfig(**options)  # type: ignore[arg-type]


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESRUNTIME_PAGES_SECRET", "a secret from the environment")
    monkeypatch.setenv("ESRUNTIME_MONACO_URL", "https://cdn.example/monaco/")
    config = PagesConfig.from_env(prefix="/js")
    assert config.secret_key == b"a secret from the environment"
    assert config.monaco_url == "https://cdn.example/monaco"
    assert config.prefix == "/js"


def test_monaco_widens_the_policy_to_its_origin_only() -> None:
    runtime = Runtime.from_url("memory://")
    pages = ScriptPages(runtime, PagesConfig(monaco_url="https://cdn.example:8443/m/min"))
    policy = pages.content_security_policy("n0nce")
    assert "script-src 'self' https://cdn.example:8443;" in policy
    assert "'unsafe-inline'" in policy
    assert "script-src 'self';" in ScriptPages(runtime).content_security_policy("n0nce")
    runtime.close()


def test_routes_match_exactly() -> None:
    route, params, _ = match(PAGE_ROUTES, "GET", "/abc/executions/def")
    assert route is not None
    assert params == {"id": "abc", "execution_id": "def"}
    assert match(PAGE_ROUTES, "GET", "/new")[0].view.__name__ == "new_script"  # type: ignore[union-attr]
    assert match(PAGE_ROUTES, "PATCH", "/abc")[2] == ["DELETE", "GET", "PUT"]
    assert match(PAGE_ROUTES, "GET", "/a/b")[0:2] == (None, {})


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[ScriptPages, str]]:
    runtime = Runtime.from_url("memory://")
    key = runtime.api_keys.create("acme", "fuzz", ["admin"]).secret
    yield ScriptPages(runtime, PagesConfig(secret_key=b"a fuzzing secret of enough bytes")), key
    runtime.close()


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]),
    path=st.one_of(
        st.sampled_from(["", "/new", "/login", "/logout", "/x/execute", "/x/executions"]),
        st.text(max_size=60).map(lambda s: "/" + s),
    ),
    query=st.lists(st.tuples(st.text(max_size=20), st.text(max_size=40)), max_size=5),
    body=st.binary(max_size=300),
    content_type=st.sampled_from(["application/x-www-form-urlencoded", "text/plain", ""]),
    cookie=st.text(max_size=80),
    signed_in=st.booleans(),
)
def test_random_requests_never_fail_with_500(
    pages: tuple[ScriptPages, str],
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: bytes,
    content_type: str,
    cookie: str,
    signed_in: bool,
) -> None:
    headers = {"content-type": content_type, "cookie": cookie}
    if signed_in:
        headers["authorization"] = f"Bearer {pages[1]}"
    response = pages[0].handle(WebRequest(method, "pages", path, {}, tuple(query), headers, body))
    assert response.status < 500, response.body[:500]
