"""What the browser tests do without their browser, and where their screenshots go."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.client import typescript
from tests.guests import toolchains
from tests.web.pages.browser import (
    SCREENSHOTS_VARIABLE,
    chromium_path,
    playwright_sync_api,
    screenshot_folder,
)

WITHOUT_PLAYWRIGHT = "Playwright's Python package is not installed"


@pytest.fixture
def no_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import now fails


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))


@pytest.fixture
def optional(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESRUNTIME_REQUIRE_CHROMIUM", raising=False)
    monkeypatch.setattr(toolchains, "REQUIRED", False)


@pytest.fixture
def required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESRUNTIME_REQUIRE_CHROMIUM", "1")
    monkeypatch.setattr(toolchains, "REQUIRED", False)


@pytest.mark.usefixtures("no_playwright", "optional")
def test_without_playwright_a_browser_test_skips_saying_why() -> None:
    with pytest.raises(pytest.skip.Exception, match=WITHOUT_PLAYWRIGHT):
        playwright_sync_api()
    with pytest.raises(pytest.skip.Exception, match=WITHOUT_PLAYWRIGHT):
        typescript.chromium()


@pytest.mark.usefixtures("no_playwright", "required")
def test_without_playwright_a_required_browser_test_fails() -> None:
    expected = f"ESRUNTIME_REQUIRE_CHROMIUM=1 but {WITHOUT_PLAYWRIGHT}"
    with pytest.raises(pytest.fail.Exception, match=expected):
        playwright_sync_api()
    with pytest.raises(pytest.fail.Exception, match=expected):
        typescript.chromium()


@pytest.mark.usefixtures("no_chromium", "optional")
def test_without_chromium_a_browser_test_skips_saying_why() -> None:
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        chromium_path()
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        typescript.chromium()


@pytest.mark.usefixtures("no_chromium", "required")
def test_without_chromium_a_required_browser_test_fails() -> None:
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_CHROMIUM=1 but no chromium"):
        chromium_path()


def test_screenshots_go_next_to_pytest_s_numbered_folders(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(SCREENSHOTS_VARIABLE, raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    base_temp = tmp_path / "pytest-of-someone" / "pytest-7"
    folder = screenshot_folder(request, base_temp)
    expected = tmp_path / "pytest-of-someone" / "esruntime-screenshots" / request.node.name
    assert folder == expected
    assert folder.is_dir()
    (folder / "old.png").write_bytes(b"from the last run")
    assert list(screenshot_folder(request, base_temp).iterdir()) == []  # emptied each time


@pytest.mark.parametrize("case", ["fastapi", "a/b c"])
def test_screenshots_go_where_the_variable_says_one_folder_a_test(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case: str
) -> None:
    monkeypatch.setenv(SCREENSHOTS_VARIABLE, str(tmp_path / "shots"))
    folder = screenshot_folder(request, tmp_path / "unused")
    suffix = {"fastapi": "fastapi", "a/b c": "a_b_c"}[case]  # one safe folder name
    name = f"test_screenshots_go_where_the_variable_says_one_folder_a_test_{suffix}"
    assert folder == tmp_path / "shots" / name
    assert folder.is_dir()
    assert not (tmp_path / "unused").exists()
