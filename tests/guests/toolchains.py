"""Building guest modules in the tests: C with sdk/c/build.py, AssemblyScript with build.mjs.

Each builder skips the calling test, saying what to install, when its toolchain is missing;
with ``ESRUNTIME_REQUIRE_TOOLCHAINS=1`` (as CI sets it) the test fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("ESRUNTIME_REQUIRE_TOOLCHAINS") == "1"


def missing(reason: str) -> NoReturn:
    """Skip the calling test for want of a toolchain, or fail it where toolchains are required."""
    if REQUIRED:
        pytest.fail(f"ESRUNTIME_REQUIRE_TOOLCHAINS=1 but {reason}")
    pytest.skip(reason)


AS_SDK = ROOT / "sdk" / "assemblyscript"


def c_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("esruntime_c_build", ROOT / "sdk/c/build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_c(sources: Sequence[Path], out_dir: Path, toolchain: str = "auto") -> list[Path]:
    """``out_dir/<name>.wasm`` for every C source (``auto``: zig when installed, else clang)."""
    builder = c_builder()
    try:
        builder.compiler(toolchain)
    except builder.ToolchainMissing as exc:
        missing(f"no C toolchain for wasm32 ({exc})")
    return [
        builder.build(source, out_dir / f"{source.stem}.wasm", toolchain=toolchain)
        for source in sources
    ]


def build_assemblyscript(
    sources: Sequence[Path], out_dir: Path, *, names: bool = False
) -> list[Path]:
    """``out_dir/<name>.wasm`` for every AssemblyScript entry file (one node process);
    ``names`` keeps the name section (``build.mjs --names``)."""
    node = shutil.which("node")
    if node is None:
        missing("node is not installed (AssemblyScript needs Node 20 and npm)")
    if not (AS_SDK / "node_modules" / "assemblyscript").is_dir():
        missing("AssemblyScript is not installed: run `npm ci` in sdk/assemblyscript")
    subprocess.run(
        [
            node,
            "build.mjs",
            *map(str, sources),
            "--out-dir",
            str(out_dir),
            *(["--names"] if names else []),
        ],
        cwd=AS_SDK,
        check=True,
        capture_output=True,
    )
    return [out_dir / f"{source.stem}.wasm" for source in sources]


def probe_module(language: str, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The SDK probe of ``language`` (tests/guests/numbers.c or numbers.ts), built afresh."""
    out = tmp_path_factory.mktemp(f"probe-{language}")
    here = Path(__file__).resolve().parent
    if language == "c":
        [path] = build_c([here / "numbers.c"], out)
    else:
        [path] = build_assemblyscript([here / "numbers.ts"], out)
    return path.read_bytes()
