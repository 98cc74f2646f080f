"""Page weight and time to interactive of the script pages in headless Chromium.

Run: ``python benchmarks/bench_pages.py`` (``--runs``). Needs Debian's ``chromium``, the
``playwright`` package and, for the Monaco comparison, ``npm ci`` in ``web-src/`` (which brings
``monaco-editor``). Every run opens a new browser context (an empty cache), signs in, then loads
the page while the Chrome DevTools protocol counts the bytes received (``encodedDataLength``:
headers and bodies as sent, gzip included). Time to interactive: for the list, the end of
``DOMContentLoaded`` (htmx runs deferred, before it); for an editor page, the moment the editor
is ready (the page records ``performance.now()`` then). Monaco is served by the same server, gzipped
like the pages' own files, and configured through ``PagesConfig(monaco_url=...)``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MONACO = ROOT / "web-src" / "node_modules" / "monaco-editor" / "min"


def serve(runtime: Any, monaco: bool) -> Any:
    from fastapi import FastAPI
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.staticfiles import StaticFiles

    from esruntime.contrib.fastapi.pages import install_pages
    from esruntime.web.pages import PagesConfig
    from tests.client.servers import LiveServer

    app = FastAPI()
    config = PagesConfig(monaco_url="/monaco" if monaco else None)
    if monaco:
        app.mount("/monaco", GZipMiddleware(StaticFiles(directory=MONACO), minimum_size=500))
    install_pages(app, runtime, config)
    return LiveServer(app).start()


def load(browser: Any, origin: str, key: str, path: str, editor: bool) -> tuple[float, float]:
    """KiB received and ms to interactive for one load of ``path`` with an empty cache."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(origin + "/scripts/login")
    page.fill("#ApiKey", key)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Scripts')")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    received = [0.0]

    def finished(event: dict[str, Any]) -> None:
        received[0] += event["encodedDataLength"]

    cdp.on("Network.loadingFinished", finished)
    page.goto(origin + path)
    if editor:
        page.wait_for_selector("html[data-editor-ready-at]", state="attached", timeout=120_000)
        ready = float(page.evaluate("document.documentElement.dataset.editorReadyAt"))
    else:
        page.wait_for_load_state("load")
        ready = float(
            page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
        )
    page.wait_for_load_state("networkidle")
    context.close()
    return received[0] / 1024, ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from esruntime.runtime import Runtime

    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("needs chromium (apt-get install chromium)")
    runtime = Runtime.from_url("memory://")
    key = runtime.api_keys.create("default", "bench", ["admin"]).secret
    for index in range(20):
        runtime.scripts.create(
            tenant="default", name=f"script {index:02}", type="oneoff", source="return 1;"
        )
    cases = [
        ("list", "/scripts", False, False),
        ("editor (bundled CodeMirror)", "/scripts/new", True, False),
    ]
    if MONACO.is_dir():
        cases.append(("editor (Monaco)", "/scripts/new", True, True))
    else:
        print("web-src/node_modules/monaco-editor is missing: npm ci in web-src/ to compare")
    servers = {flag: serve(runtime, flag) for flag in {False, MONACO.is_dir()}}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name, *_ in cases}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(args.runs):
            for name, path, editor, monaco in cases:  # the pages take turns in every run
                results[name].append(load(browser, servers[monaco].origin, key, path, editor))
        browser.close()
    for server in servers.values():
        server.stop()
    runtime.close()
    print(f"| page | KiB transferred | time to interactive, ms (median of {args.runs}) |")
    print("|---|---|---|")
    for name, values in results.items():
        kib = statistics.median(v[0] for v in values)
        tti = statistics.median(v[1] for v in values)
        print(f"| {name} | {kib:,.1f} | {tti:,.0f} |")


if __name__ == "__main__":
    main()
