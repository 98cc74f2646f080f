"""Build esruntime handlers written in C into WebAssembly modules with no imports.

Usage::

    python sdk/c/build.py handler.c -o handler.wasm          # one handler
    python sdk/c/build.py a.c b.c --out-dir wasm/            # several: wasm/a.wasm, wasm/b.wasm
    python sdk/c/build.py handler.c -o h.wasm --toolchain clang --print-command

Toolchains: ``zig`` (PyPI ``ziglang``: ``python -m ziglang cc``, the default when installed, and
the one whose output is committed, so builds are byte-for-byte reproducible with the same
version) or ``clang`` (Debian ``clang`` + ``lld``, which provides ``wasm-ld``). ``auto`` takes
zig when it is installed, else clang.

Every flag, and why:

- ``--target=wasm32-freestanding`` (zig) / ``--target=wasm32`` (clang): core wasm32, no OS.
- ``-O2``: optimise (``--opt`` changes it; ``-Oz`` gives smaller modules).
- ``-ffreestanding -nostdlib``: no libc, no start files, no WASI, hence no imports at all.
- ``-mbulk-memory``: copies and fills become ``memory.copy``/``memory.fill`` instructions
  instead of calls to a ``memcpy`` no one links (esruntime.h refuses to build without it).
- ``-fno-sanitize=undefined``: zig cc turns UBSan on below -O2, and its runtime is not linked.
- ``-std=c11 -Wall -Wextra``: the SDK is plain C11; warnings on.
- ``-I sdk/c``: finds ``esruntime.h``.
- ``-Wl,--no-entry``: a library of exports, no ``_start``/``main``.
- ``-Wl,--stack-first`` (clang; zig's linker always does this and refuses the flag): the stack
  sits below the data, so an overflowing stack traps at the bottom of memory instead of
  overwriting data.
- ``-Wl,-z,stack-size=65536``: 64 KiB of stack (the SDK itself needs under 8 KiB).
- ``-g0``: no DWARF. The linker keeps the module's name section (a few hundred bytes), so a
  trap names the functions it went through (``esr_handle trapped (unreachable) in
  withdraw_more <- handle <- esr_handle``). ``--strip-names`` adds ``-Wl,--strip-all`` for the
  smallest module; a trap then shows function numbers only.
- Exports come from ``__attribute__((export_name(...)))`` in ``esruntime.h``, so no
  ``-Wl,--export=...`` flags are needed; ``memory`` is exported by the linker by default.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SDK_DIR = Path(__file__).resolve().parent
REFERENCE_ZIG = "0.17.1"
"""The zig that built the committed example modules: it rebuilds them byte for byte."""

COMMON_FLAGS = [
    "-O2",
    "-ffreestanding",
    "-nostdlib",
    "-mbulk-memory",
    "-fno-sanitize=undefined",
    "-std=c11",
    "-Wall",
    "-Wextra",
    f"-I{SDK_DIR}",
    "-Wl,--no-entry",
    "-Wl,-z,stack-size=65536",
    "-g0",
]
STRIP_NAMES = "-Wl,--strip-all"
"""Added by ``--strip-names``: drops the name section (traps then show function numbers)."""


class ToolchainMissing(RuntimeError):
    """Neither zig (``pip install ziglang``) nor clang with wasm-ld is available."""


def zig_available() -> bool:
    return importlib.util.find_spec("ziglang") is not None


def zig_version() -> str | None:
    """The installed zig's version (None without zig)."""
    if not zig_available():
        return None
    args = [sys.executable, "-m", "ziglang", "version"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


def clang_available() -> bool:
    return shutil.which("clang") is not None and shutil.which("wasm-ld") is not None


def compiler(toolchain: str = "auto") -> list[str]:
    """The compiler command of a toolchain (``zig``, ``clang`` or ``auto``) with its target."""
    if toolchain == "auto":
        toolchain = "zig" if zig_available() else "clang" if clang_available() else ""
    if toolchain == "zig":
        if not zig_available():
            raise ToolchainMissing("zig is not installed: pip install ziglang")
        return [sys.executable, "-m", "ziglang", "cc", "--target=wasm32-freestanding"]
    if toolchain == "clang":
        if not clang_available():
            raise ToolchainMissing("clang or wasm-ld is missing: apt-get install clang lld")
        return ["clang", "--target=wasm32", "-Wl,--stack-first"]
    raise ToolchainMissing(
        "no C toolchain for wasm32: pip install ziglang, or apt-get install clang lld"
    )


def command(
    source: Path,
    output: Path,
    *,
    toolchain: str = "auto",
    opt: str = "-O2",
    include: Sequence[Path] = (),
    strip_names: bool = False,
) -> list[str]:
    """The compiler command line that builds ``source`` into ``output``."""
    flags = [opt if flag == "-O2" else flag for flag in COMMON_FLAGS]
    return [
        *compiler(toolchain),
        *flags,
        *([STRIP_NAMES] if strip_names else []),
        *(f"-I{path}" for path in include),
        str(source),
        "-o",
        str(output),
    ]


def build(
    source: Path,
    output: Path,
    *,
    toolchain: str = "auto",
    opt: str = "-O2",
    include: Sequence[Path] = (),
    strip_names: bool = False,
) -> Path:
    """Compile one handler; raises CalledProcessError (with the compiler's output) on failure."""
    output.parent.mkdir(parents=True, exist_ok=True)
    args = command(
        source, output, toolchain=toolchain, opt=opt, include=include, strip_names=strip_names
    )
    subprocess.run(args, check=True)
    return output


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="+", type=Path, help="handler .c files")
    parser.add_argument("-o", "--output", type=Path, help="the .wasm file (one source only)")
    parser.add_argument("--out-dir", type=Path, help="write <name>.wasm files here")
    parser.add_argument("--toolchain", choices=["auto", "zig", "clang"], default="auto")
    parser.add_argument("--opt", default="-O2", help="optimisation flag (default -O2)")
    parser.add_argument("-I", dest="include", action="append", type=Path, default=[])
    parser.add_argument(
        "--strip-names",
        action="store_true",
        help="drop the name section (smaller; traps then show function numbers, not names)",
    )
    parser.add_argument("--print-command", action="store_true", help="show each compiler call")
    args = parser.parse_args(argv)
    if args.output and len(args.sources) != 1:
        parser.error("-o takes one source; use --out-dir for several")
    for source in args.sources:
        output = args.output or (args.out_dir or source.parent) / f"{source.stem}.wasm"
        options = {
            "toolchain": args.toolchain,
            "opt": args.opt,
            "include": args.include,
            "strip_names": args.strip_names,
        }
        try:
            if args.print_command:
                print(" ".join(command(source, output, **options)))
            build(source, output, **options)
        except ToolchainMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except subprocess.CalledProcessError as exc:
            print(f"error: building {source} failed (exit {exc.returncode})", file=sys.stderr)
            return 1
        print(f"{source} -> {output} ({output.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
