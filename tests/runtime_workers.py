"""Entry points for the other processes of tests/test_runtime_revisions.py (started with
"spawn", so a child imports only this, the test helpers and esruntime)."""

from __future__ import annotations

from esruntime.runtime import Runtime


def upload(url: str, tenant: str, name: str, module: bytes, version: str) -> None:
    """Upload ``module`` as ``version`` of handler ``name`` from a runtime of this process."""
    with Runtime.from_url(url) as runtime:
        result = runtime.tenant(tenant).upload(name, module, version)
        assert result.status == "ok", result


def make_current(url: str, tenant: str, name: str, version: str) -> None:
    with Runtime.from_url(url) as runtime:
        result = runtime.tenant(tenant).make_current(name, version)
        assert result.status == "ok", result


def delete(url: str, tenant: str, name: str) -> None:
    with Runtime.from_url(url) as runtime:
        assert runtime.tenant(tenant).delete(name)


def push_schema(url: str, tenant: str, text: str) -> None:
    with Runtime.from_url(url) as runtime:
        runtime.push_schema(text, tenant=tenant)
