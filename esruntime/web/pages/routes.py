"""Every route of the script pages (``docs/pages.md``), relative to their prefix."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

from attrs import field, frozen

from esruntime.web.messages import WebResponse
from esruntime.web.pages import dead_letters, executions, login, scripts
from esruntime.web.pages.context import PageCall

__all__ = ["PAGE_ROUTES", "PageRoute", "match"]

PageView = Callable[[PageCall], WebResponse]


@frozen
class PageRoute:
    """A method and path (``{name}`` for one segment), its view and permission."""

    method: str
    path: str
    view: PageView = field(repr=False)
    permission: str | None

    @property
    def unsafe(self) -> bool:
        return self.method not in ("GET", "HEAD")

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.path)


@functools.cache
def _compiled(path: str) -> re.Pattern[str]:
    """A route path as a regular expression (``{name}`` takes one segment of 1-100 bytes)."""
    parts = re.split(r"\{(\w+)\}", path)
    regex = "".join(
        re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]{{1,100}})" for i, p in enumerate(parts)
    )
    return re.compile(regex)


PAGE_ROUTES: tuple[PageRoute, ...] = (
    PageRoute("GET", "", scripts.list_scripts, "scripts.read"),
    PageRoute("POST", "", scripts.create_script, "scripts.create"),
    PageRoute("GET", "/new", scripts.new_script, "scripts.create"),
    PageRoute("GET", "/login", login.login_page, None),
    PageRoute("POST", "/login", login.log_in, None),
    PageRoute("POST", "/logout", login.log_out, None),
    PageRoute("GET", "/{id}", scripts.show_script, "scripts.read"),
    PageRoute("GET", "/{id}/edit", scripts.edit_script, "scripts.update"),
    PageRoute("PUT", "/{id}", scripts.update_script, "scripts.update"),
    PageRoute("DELETE", "/{id}", scripts.delete_script, "scripts.delete"),
    PageRoute("POST", "/{id}/execute", executions.execute_script, "scripts.execute"),
    PageRoute("GET", "/{id}/executions", executions.list_executions, "scripts.read"),
    PageRoute("GET", "/{id}/executions/{execution_id}", executions.show_execution, "scripts.read"),
    PageRoute(
        "POST",
        "/{id}/dead-letters/{letter_id}/retry",
        dead_letters.retry_dead_letter,
        "scripts.execute",
    ),
    PageRoute(
        "DELETE",
        "/{id}/dead-letters/{letter_id}",
        dead_letters.discard_dead_letter,
        "scripts.delete",
    ),
)


def match(
    routes: Sequence[PageRoute], method: str, path: str
) -> tuple[PageRoute | None, dict[str, str], list[str]]:
    """The route taking ``method path`` with its parameters; else the methods allowed there."""
    path = "" if path == "/" else path
    allowed: list[str] = []
    for route in routes:
        found = route.pattern.fullmatch(path)
        if found is None:
            continue
        if route.method == method or (method == "HEAD" and route.method == "GET"):
            return route, found.groupdict(), []
        allowed.append(route.method)
    return None, {}, sorted(set(allowed))
