"""The fenced code blocks of the READMEs and the pages of ``docs/``, read as a user reads them.

A block is ```` ```lang ```` … ```` ``` ````. Its first line may name a file (``# test_bank.py``,
``/* reserve_seat.c */``, ``// reserve_seat.ts``): the block is that file's content, written into
the reader's current folder rather than run. A block preceded by the line
``<!-- snippet: no-run: <reason> -->`` is not run; the reason is required. A ``typescript``
block is a program using ``@esruntime/sdk``: type-checked and run with node. Blocks without a
language, or in one the tests do not run (``c``, ``ts``, ``js`` not naming a file), are prose.
"""

from __future__ import annotations

import re
from pathlib import Path

from attrs import frozen

ROOT = Path(__file__).resolve().parents[2]
PAGES = (
    "README.md",
    "examples/README.md",
    *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")),
)
RUN = frozenset({"python", "sh", "bash", "esdl", "json", "typescript"})

_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^`]*)$")
_NO_RUN = re.compile(r"^<!-- snippet: no-run: (?P<reason>\S.*\S) -->$")
_FILE = re.compile(r"^(?:# |/\* |// )(?P<name>[A-Za-z0-9_.-]+\.(?:py|c|ts|esdl|json))(?: \*/)?$")


@frozen
class Block:
    """One fenced block: where it is, its language, its text, and how it is meant to be used."""

    page: str
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    no_run: str | None = None  # the reason given, when the block is not to be run
    file: str | None = None  # the file the block is the content of

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(page: str) -> list[Block]:
    """Every fenced block of ``page`` (a path relative to the repository), in order."""
    lines = (ROOT / page).read_text().splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = len(opening["indent"])
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][indent:])
            index += 1
        index += 1
        before = lines[start - 1].strip() if start > 0 else ""
        no_run = _NO_RUN.match(before)
        named = _FILE.match(body[0]) if body else None
        lang = opening["info"].strip().split(" ")[0] if opening["info"].strip() else ""
        found.append(
            Block(
                page,
                start + 1,
                lang,
                "\n".join(body) + "\n",
                no_run["reason"] if no_run else None,
                named["name"] if named else None,
            )
        )
    return found
