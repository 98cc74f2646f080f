"""``esruntime.scripts`` exports its public names lazily; each one resolves."""

from __future__ import annotations

import importlib

import pytest

import esruntime.scripts


@pytest.mark.parametrize("name", esruntime.scripts.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(esruntime.scripts, name)
    assert value.__name__ == name
    assert getattr(importlib.import_module(value.__module__), name) is value


def test_the_exports_are_sorted_and_unknown_names_raise() -> None:
    assert esruntime.scripts.__all__ == sorted(esruntime.scripts.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = esruntime.scripts.Nope  # type: ignore[attr-defined]
