"""How the script pages are set up: their prefix, signing key, login, editor and limits."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Sequence

from attrs import field, frozen

from esruntime.errors import ConfigurationError

__all__ = ["PagesConfig"]


def _prefix(value: str) -> str:
    if not isinstance(value, str) or not value.startswith("/") or value.endswith("/"):
        raise ConfigurationError(f"the pages' prefix starts with / and ends without, got {value!r}")
    return value


def _secret(value: str | bytes | None) -> bytes:
    if value is None:
        return secrets.token_bytes(32)
    raw = value.encode() if isinstance(value, str) else value
    if len(raw) < 16:
        raise ConfigurationError("the pages' secret_key must be at least 16 bytes")
    return raw


def _dirs(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(folder) for folder in value)


def _monaco(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.startswith(("https://", "http://", "/")) or any(c in value for c in "'\" <>"):
        raise ConfigurationError(f"monaco_url must be an http(s) URL or a path, got {value!r}")
    return value.rstrip("/")


@frozen
class PagesConfig:
    """The script pages' settings.

    ``prefix``: where the pages live (``/scripts``). ``secret_key`` signs the session and CSRF
    cookies (random per process when None: sessions end when it restarts; give one for several
    processes). ``login``: whether a person may sign in with an API key (``/scripts/login``);
    an embedded host that resolves its own users turns it off. ``secure_cookies``: send the
    cookies only over HTTPS. ``monaco_url``: a folder holding Monaco's ``vs/`` (loads it instead
    of the bundled editor). ``template_dirs``: folders whose templates override the built-in
    ones. ``execute_wait_s``: how long a manual run is awaited before its row is shown running.
    """

    prefix: str = field(default="/scripts", converter=_prefix)
    secret_key: bytes = field(default=None, converter=_secret, repr=False)
    login: bool = True
    secure_cookies: bool = False
    monaco_url: str | None = field(default=None, converter=_monaco)
    template_dirs: tuple[str, ...] = field(default=(), converter=_dirs)
    session_max_age_s: int = 12 * 3600
    execute_wait_s: float = 2.0
    per_page: int = 20
    max_form_bytes: int = 512 * 1024
    background_runs: int = 4

    @classmethod
    def from_env(cls, *, template_dirs: Sequence[str] = (), **options: object) -> PagesConfig:
        """Settings with ``ESRUNTIME_PAGES_SECRET`` and ``ESRUNTIME_MONACO_URL`` read from the
        environment when set."""
        secret = os.environ.get("ESRUNTIME_PAGES_SECRET")
        monaco = os.environ.get("ESRUNTIME_MONACO_URL")
        if secret:
            options.setdefault("secret_key", secret)
        if monaco:
            options.setdefault("monaco_url", monaco)
        return cls(template_dirs=tuple(template_dirs), **options)  # type: ignore[arg-type]
