"""``scripts/check`` after the README's ``[test]`` install: ruff and mypy come with ``[dev]``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.cli.processes import ROOT


def test_scripts_check_names_the_dev_extra_when_its_tools_are_missing(tmp_path: Path) -> None:
    bash, dirname = shutil.which("bash"), shutil.which("dirname")
    assert bash is not None
    assert dirname is not None
    # A PATH with none of ruff, mypy and pytest: only what the script itself uses.
    (tmp_path / "dirname").symlink_to(dirname)
    result = subprocess.run(
        [bash, str(ROOT / "scripts" / "check")],
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 127
    assert result.stdout == ""
    assert result.stderr == (
        "scripts/check: ruff mypy pytest not found; "
        "install the dev extra: pip install -e '.[dev]'\n"
    )
