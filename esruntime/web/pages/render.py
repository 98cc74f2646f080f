"""Templates and static files of the script pages.

Templates come from ``esruntime/web/templates`` (Jinja2 ``PackageLoader``, autoescaped), after
any folder of the host's (``PagesConfig.template_dirs``), so a host overrides a page or a
partial by giving a file of the same name. Static files are served from the package, with an
ETag, a week of caching and gzip when the browser takes it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from esruntime.web.messages import WebResponse

__all__ = ["StaticFile", "make_environment", "relative_time", "static_file", "zoned_time"]

_STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """``3 min ago``, ``in 2 h``, ``just now``: for people; the exact time goes in a title."""
    if value is None:
        return "—"
    now = now or datetime.now(UTC)
    seconds = (now - value).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 10:
        return "just now"
    for size, unit in ((86400 * 365, "y"), (86400 * 30, "mo"), (86400, "d"), (3600, "h")):
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            break
    else:
        amount = f"{int(seconds // 60)} min" if seconds >= 60 else f"{int(seconds)} s"
    return f"in {amount}" if future else f"{amount} ago"


def exact_time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def zoned_time(value: datetime | None, zone: str) -> str:
    """``2026-03-29 09:00 CEST``: the time as people of the time zone ``zone`` read it."""
    if value is None:
        return ""
    try:
        return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
    except (ValueError, ZoneInfoNotFoundError):
        return exact_time(value)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def make_environment(template_dirs: tuple[str, ...]) -> Environment:
    """The pages' Jinja2 environment: the host's folders first, then the package's."""
    loaders: list[Any] = [FileSystemLoader(list(template_dirs))] if template_dirs else []
    loaders.append(PackageLoader("esruntime.web", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ago"] = relative_time
    env.filters["exact"] = exact_time
    env.filters["in_zone"] = zoned_time
    env.filters["pretty_json"] = pretty_json
    return env


class StaticFile:
    """One static file of the package, with its ETag and its gzipped bytes."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.data = data
        self.gzipped = gzip.compress(data, 9, mtime=0)
        self.etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        suffix = name[name.rfind(".") :]
        self.content_type = _STATIC_TYPES.get(suffix) or (
            mimetypes.guess_type(name)[0] or "application/octet-stream"
        )

    def response(self, headers: Any) -> WebResponse:
        common = (
            ("ETag", self.etag),
            ("Cache-Control", "public, max-age=604800"),
            ("Vary", "Accept-Encoding"),
            ("X-Content-Type-Options", "nosniff"),
        )
        if headers.get("if-none-match") == self.etag:
            return WebResponse(304, b"", None, common)
        if "gzip" in headers.get("accept-encoding", ""):
            return WebResponse(
                200, self.gzipped, self.content_type, (*common, ("Content-Encoding", "gzip"))
            )
        return WebResponse(200, self.data, self.content_type, common)


@cache
def static_file(name: str) -> StaticFile | None:
    """The package's static file ``name`` (a plain file name), or None."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or len(name) > 100:
        return None
    found = resources.files("esruntime.web").joinpath("static", name)
    if not found.is_file():
        return None
    return StaticFile(name, found.read_bytes())
