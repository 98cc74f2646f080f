"""Runs the Python blocks of one page in one namespace, as a user pasting them into ``python``
(or ``python -m asyncio`` for a block with a top-level ``await``) would.

Run as a process in the page's folder: each line of stdin is a JSON ``{"code", "name"}``; each
answer on stdout is a JSON ``{"ok", "output", "error"}`` line. A separate process per page keeps
what snippets leave open (runtimes, pools, files) out of the test process.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import json
import sys
import traceback
from typing import Any


def run(code: str, name: str, namespace: dict[str, Any]) -> None:
    compiled = compile(code, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if compiled.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(compiled, namespace))
    else:
        exec(compiled, namespace)


def main() -> None:
    sys.path.insert(0, "")  # the current folder, as in an interactive interpreter
    namespace: dict[str, Any] = {"__name__": "__main__"}
    answers = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        output = io.StringIO()
        error = None
        with contextlib.redirect_stdout(output):
            try:
                run(request["code"], request["name"], namespace)
            except BaseException:
                error = traceback.format_exc()
        answers.write(json.dumps({"output": output.getvalue(), "error": error}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
