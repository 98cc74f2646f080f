"""``GET /health`` and ``GET /metrics``."""

from __future__ import annotations

from esruntime.client.models import (
    Health,
)
from esruntime.client.protocol import Answer, Call, Request, expect, raise_for_status
from esruntime.client.reading import Reader
from esruntime.errors import MalformedResponseError

__all__ = ["health", "metrics"]


def health() -> Call[Health]:
    return Call(Request("GET", "health"), _read_health)


def _read_health(answer: Answer) -> Health:
    read = Reader(expect(answer, 200, 503), answer.what)
    details = {k: v for k, v in read.value.items() if k not in ("status", "version")}
    return Health(read.string("status"), read.string("version"), details)


def metrics() -> Call[str]:
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
