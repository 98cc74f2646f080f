"""``esruntime serve`` serves the script pages: sign in with a key, write and run a script."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.processes import run, serve

SECRET = "a-long-configured-secret"


def _origin(url: str) -> str:
    return url.removesuffix("/v1")


def _csrf(text: str) -> str:
    found = re.search(r'name="_csrf" value="(\w+)"', text)
    assert found is not None
    return found.group(1)


@pytest.mark.slow
def test_the_pages_sign_in_with_the_configured_key_and_run_scripts(tmp_path: Path) -> None:
    served = serve("--api-key", SECRET, cwd=tmp_path)
    try:
        with httpx.Client(base_url=_origin(served.url), timeout=60) as browser:
            login = browser.get("/scripts")
            assert login.status_code == 401
            signed = browser.post(
                "/scripts/login",
                data={"ApiKey": SECRET, "_csrf": _csrf(login.text), "next": "/scripts"},
            )
            assert signed.status_code == 303
            listing = browser.get("/scripts")
            assert listing.status_code == 200
            created = browser.post(
                "/scripts",
                data={
                    "_csrf": _csrf(listing.text),
                    "Name": "answer",
                    "Type": "oneoff",
                    "Status": "active",
                    "Source": "return 6 * 7;",
                },
            )
            assert created.status_code == 303
            script = created.headers["location"]
            row = browser.post(
                script + "/execute",
                data={"_csrf": _csrf(listing.text)},
                headers={"HX-Request": "true"},
            )
            deadline = time.monotonic() + 60  # a bound for a busy machine, not an expectation
            while re.search(r'data-status="(running|pending)"', row.text):
                assert time.monotonic() < deadline, row.text
                time.sleep(0.2)
                row = browser.get(script + "/executions")  # as the page polls
            assert 'data-status="completed"' in row.text
            assert "42" in row.text
    finally:
        served.stop()


def test_the_pages_can_move_or_go(tmp_path: Path) -> None:
    served = serve("--pages-prefix", "/admin/scripts", cwd=tmp_path)
    try:
        with httpx.Client(base_url=_origin(served.url), timeout=60) as browser:
            assert browser.get("/admin/scripts").status_code == 401
            assert "Sign in" in browser.get("/admin/scripts/login").text
            assert browser.get("/scripts").status_code == 404
    finally:
        served.stop()
    same = run("serve", "--port", "0", "--pages-prefix", "/v1", cwd=tmp_path)
    assert same.returncode == 2
    assert "--pages-prefix must differ from --prefix" in same.stderr
