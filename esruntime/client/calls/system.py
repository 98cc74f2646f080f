"""``GET /health`` and ``GET /metrics``."""

from __future__ import annotations

from attrs import frozen

from esruntime.client.converter import read, read_object
from esruntime.client.models import Health
from esruntime.client.protocol import Answer, Call, Request, expect, raise_for_status
from esruntime.errors import MalformedResponseError

__all__ = ["health", "metrics"]


@frozen
class _Status:
    status: str
    version: str


def health() -> Call[Health]:
    """The server's health (an unhealthy server's answer too, with ``healthy`` False)."""
    return Call(Request("GET", "health"), _read_health)


def _read_health(answer: Answer) -> Health:
    body = read_object(expect(answer, 200, 503), answer.what)
    known = read(body, _Status, answer.what)
    details = {k: v for k, v in body.items() if k not in ("status", "version")}
    return Health(known.status, known.version, details)


def metrics() -> Call[str]:
    """The Prometheus metrics of the key's tenant, as text (needs ``admin``)."""
    return Call(Request("GET", "metrics"), _read_metrics)


def _read_metrics(answer: Answer) -> str:
    if answer.status != 200:
        raise_for_status(answer)
        raise MalformedResponseError(f"{answer.what}: unexpected HTTP {answer.status}")
    try:
        return answer.body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedResponseError(
            f"{answer.what}: the metrics are not UTF-8 text: {answer.snippet()}"
        ) from None
