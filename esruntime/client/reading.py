"""Reading the server's JSON answers into typed values, with a precise error for each surprise.

The client is a tolerant reader: fields it does not know are ignored (a newer server may add
some), but every field it uses must be there with the right JSON type. A wrong one raises
:class:`~esruntime.errors.MalformedResponseError` naming the JSON path (``$.events[2].id``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from esruntime.errors import MalformedResponseError

__all__ = ["Reader", "kind_of"]

_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def kind_of(value: Any) -> str:
    """The JSON name of a value's type."""
    return _NAMES.get(type(value), "number")


class Reader:
    """A JSON object of an answer, read field by field; ``what`` names the answer in errors."""

    def __init__(self, value: Any, what: str, path: str = "$") -> None:
        if not isinstance(value, dict):
            found = "nothing" if value is _MISSING else kind_of(value)
            raise MalformedResponseError(f"{what}: {path} should be an object, got {found}")
        self.value: dict[str, Any] = value
        self.what = what
        self.path = path

    def _fail(self, name: str, expected: str, value: Any) -> MalformedResponseError:
        found = "nothing" if value is _MISSING else kind_of(value)
        return MalformedResponseError(
            f"{self.what}: {self.path}.{name} should be {expected}, got {found}"
        )

    def has(self, name: str) -> bool:
        return name in self.value

    def any(self, name: str) -> Any:
        if name not in self.value:
            raise self._fail(name, "present", _MISSING)
        return self.value[name]

    def string(self, name: str) -> str:
        value = self.value.get(name, _MISSING)
        if not isinstance(value, str):
            raise self._fail(name, "a string", value)
        return value

    def opt_string(self, name: str) -> str | None:
        value = self.value.get(name)
        if value is not None and not isinstance(value, str):
            raise self._fail(name, "a string or null", value)
        return value

    def integer(self, name: str) -> int:
        value = self.value.get(name, _MISSING)
        if type(value) is not int:
            raise self._fail(name, "an integer", value)
        return value

    def opt_integer(self, name: str) -> int | None:
        value = self.value.get(name)
        if value is not None and type(value) is not int:
            raise self._fail(name, "an integer or null", value)
        return value

    def boolean(self, name: str) -> bool:
        value = self.value.get(name, _MISSING)
        if not isinstance(value, bool):
            raise self._fail(name, "a boolean", value)
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.value.get(name, _MISSING)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(name, "an array of strings", value)
        return tuple(value)

    def mapping(self, name: str) -> Mapping[str, Any]:
        value = self.value.get(name, _MISSING)
        if not isinstance(value, dict):
            raise self._fail(name, "an object", value)
        return value

    def time(self, name: str) -> datetime:
        text = self.string(name)
        return self._parse_time(name, text)

    def opt_time(self, name: str) -> datetime | None:
        text = self.opt_string(name)
        return None if text is None else self._parse_time(name, text)

    def _parse_time(self, name: str, text: str) -> datetime:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise MalformedResponseError(
                f"{self.what}: {self.path}.{name} should be an RFC 3339 time, got {text[:40]!r}"
            )
        return moment

    def object(self, name: str) -> Reader:
        return Reader(self.value.get(name, _MISSING), self.what, f"{self.path}.{name}")

    def objects(self, name: str) -> Iterator[Reader]:
        value = self.value.get(name, _MISSING)
        if not isinstance(value, list):
            raise self._fail(name, "an array", value)
        for index, item in enumerate(value):
            yield Reader(item, self.what, f"{self.path}.{name}[{index}]")


class _Missing:
    pass


_MISSING: Any = _Missing()
