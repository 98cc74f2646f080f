"""Every snippet of the README and of ``docs/`` runs as written (see ``snippets`` for how a page
marks its blocks and ``session`` for how a reader's terminal and interpreter are reproduced).

Each page is one reader's session, in a fresh folder: its blocks run in order, Python blocks in
one interpreter, shell blocks in one terminal, ESDL blocks through the parser, JSON blocks through
``json``. A page that needs a server it does not start itself gets one first, as its text says.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from esruntime.client import Client
from tests.docs.session import Session
from tests.docs.snippets import PAGES, ROOT, RUN, Block, blocks
from tests.guests.toolchains import missing as toolchain_missing

PROSE = frozenset({"", "c", "ts", "js"})
BANK = Path(__file__).resolve().parents[2] / "examples/bank"
BANK_VERSIONS = {
    "open_account": "1.0.0",
    "deposit": "1.0.0",
    "withdraw": "1.0.0",
    "transfer_funds": "1.2.0",
}


def readme_server(session: Session) -> None:
    """The README's first command: ``esruntime serve`` in the reader's folder."""
    session.serve()


def bank_server(session: Session) -> None:
    """A server holding the README's bank: alice with 100 EUR and bob."""
    readme_server(session)
    with Client(session.env["ESRUNTIME_URL"], api_key=session.env["ESRUNTIME_API_KEY"]) as c:
        c.push_schema((BANK / "schema.esdl").read_text())
        for name, version in BANK_VERSIONS.items():
            uploaded = c.upload_handler(name, (BANK / f"wasm/c/{name}.wasm").read_bytes(), version)
            assert uploaded.status == "ok", uploaded
        for account, owner in (("alice", "Alice"), ("bob", "Bob")):
            opened = {"account_id": account, "owner": owner, "currency": "EUR"}
            assert c.execute("open_account", opened).status == "ok"
        assert c.execute("deposit", {"account_id": "alice", "amount": 100}).status == "ok"


NEEDS = {"docs/handlers-guide.md": ("clang", "npm")}  # zig comes with the test extra

SETUP: dict[str, Callable[[Session], None]] = {
    "README.md": readme_server,
    "docs/client.md": bank_server,
    "docs/typescript-client.md": bank_server,
}


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    folder = tmp_path / "reader"
    folder.mkdir()
    reader = Session(folder)
    try:
        yield reader
    finally:
        reader.close()


def run_page(page: str, session: Session) -> list[tuple[Block, str]]:
    setup = SETUP.get(page)
    if setup is not None:
        setup(session)
    return [(block, session.run(block)) for block in blocks(page)]


@pytest.mark.parametrize("page", PAGES)
def test_every_block_runs_or_says_why_not(page: str) -> None:
    for block in blocks(page):
        if block.no_run is None and block.file is None:
            assert block.lang in RUN | PROSE, f"{block.where}: unknown language {block.lang!r}"


@pytest.mark.parametrize("page", [p for p in PAGES if p != "README.md"])
def test_the_page_runs_as_written(page: str, session: Session) -> None:
    """A JSON block right after a shell block shows what that shell block answers."""
    missing = [tool for tool in NEEDS.get(page, ()) if shutil.which(tool) is None]
    if missing:
        toolchain_missing(f"{page} builds with {', '.join(missing)}, which is not installed")
    ran = run_page(page, session)
    for (before, output), (block, _) in itertools.pairwise(ran):
        if block.lang == "json" and before.lang in ("sh", "bash") and before.no_run is None:
            assert json.loads(block.text) in json_values(output), f"{block.where}: {output}"


def json_values(text: str) -> list[object]:
    """Every JSON object in ``text``, in order (curl prints bodies without a line break)."""
    decoder = json.JSONDecoder()
    values: list[object] = []
    index = text.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            end = index + 1
        else:
            values.append(value)
        index = text.find("{", end)
    return values


def test_the_readme_runs_as_written_and_says_what_happens(session: Session) -> None:
    outputs = [output for block, output in run_page("README.md", session) if output]
    bank, client, typescript = outputs
    setup, transfer, refused = bank.split("HTTP/1.1 ")
    uploads = [v for v in json_values(setup) if isinstance(v, dict) and "validation" in v]
    assert [(u["name"], u["validation"]) for u in uploads] == [
        (name, {"status": "ok", "warnings": []}) for name in BANK_VERSIONS
    ]
    assert transfer.startswith("200 ")
    assert re.search(r"(?im)^x-retry-count: 0\r?$", transfer)
    [body] = json_values(transfer)
    assert isinstance(body, dict)
    assert (body["status"], body["position"]) == ("ok", 5)
    assert [e["type"] for e in body["events"]] == ["SentFunds", "ReceivedFunds"]
    assert refused.startswith("422 ")
    rejection, page = json_values(refused)
    assert rejection == {
        "status": "rejected",
        "code": "insufficient_funds",
        "message": "account bob has insufficient funds",
    }
    assert isinstance(page, dict)
    assert [e["type"] for e in page["events"]] == ["ReceivedFunds"]
    assert (page["next_position"], page["has_more"]) == (5, False)
    assert client.splitlines()[0] == "insufficient_funds"
    assert typescript.startswith("Transferred! Events: [")
    assert [t for t in ("SentFunds", "ReceivedFunds") if f"type: '{t}'" in typescript] == [
        "SentFunds",
        "ReceivedFunds",
    ]


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``page``."""
    found = set()
    for line in page.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_every_link_between_pages_leads_somewhere(page: str) -> None:
    here = (ROOT / page).parent
    for target, anchor in re.findall(
        r"\]\(([^)#\s:]*)(?:#([^)\s]*))?\)", (ROOT / page).read_text()
    ):
        path = (here / target) if target else ROOT / page
        assert path.exists(), f"{page}: {target} does not exist"
        if anchor:
            assert anchor in anchors(path), f"{page}: no heading #{anchor} in {target or page}"
