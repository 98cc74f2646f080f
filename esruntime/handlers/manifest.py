"""The handler manifest (``docs/abi.md``, "The manifest"): what a handler reads, binds and emits.

WebAssembly handlers describe themselves with JSON (``esr_describe``); Python handlers declare
the same thing in code. Both become a :class:`HandlerManifest`, checked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import cattrs
from attrs import field, frozen
from cattrs.gen import make_dict_structure_fn

from esruntime.errors import InvalidManifestError

__all__ = [
    "COMMAND_NAME",
    "MAX_VERSION_LENGTH",
    "SEMVER",
    "EmitSpec",
    "HandlerManifest",
    "ReadSpec",
    "manifest_document",
    "parse_manifest",
]

ABI_VERSION = 1
COMMAND_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}")
_TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,199}")
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,99}")
MAX_VERSION_LENGTH = 64
"""The longest version a handler may have (it is stored in every event's metadata)."""
SEMVER = re.compile(
    rf"(?=.{{5,{MAX_VERSION_LENGTH}}}\Z)"
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?"
)


def _matches(pattern: re.Pattern[str], what: str) -> Any:
    def check(_: object, attribute: Any, value: object) -> None:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            shown = (
                repr(value)
                if not isinstance(value, str) or len(value) <= 100
                else (f"{value[:40]!r}... ({len(value):,} characters)")
            )
            raise ValueError(f"{attribute.name} {shown} is not {what}")

    return check


_event_type = _matches(_TYPE_NAME, "an event type name ([A-Z][A-Za-z0-9]*)")
_field_name = _matches(_FIELD_NAME, "a field name ([a-z_][a-z0-9_]*)")


def _field_names(_: object, attribute: Any, value: tuple[str, ...]) -> None:
    for name in value:
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"{attribute.name}: {name!r} is not a field name ([a-z_][a-z0-9_]*)")
    if len(set(value)) != len(value):
        raise ValueError(f"{attribute.name} repeats a field")


@frozen
class ReadSpec:
    """An event type the handler replays, with the domain-id fields its events are tagged by."""

    type: str = field(validator=_event_type)
    domain_ids: tuple[str, ...] = field(default=(), validator=_field_names)


@frozen
class EmitSpec:
    """An event type the handler may emit."""

    type: str = field(validator=_event_type)


def _input_domain_ids(_: object, attribute: Any, value: Mapping[str, str]) -> None:
    for input_field, domain_field in value.items():
        if not _FIELD_NAME.fullmatch(input_field) or not _FIELD_NAME.fullmatch(domain_field):
            raise ValueError(
                f"input_domain_ids: {input_field!r} -> {domain_field!r} must map a field name "
                "to a field name ([a-z_][a-z0-9_]*)"
            )


def _unique_types(
    _: object, attribute: Any, value: tuple[ReadSpec, ...] | tuple[EmitSpec, ...]
) -> None:
    types = [spec.type for spec in value]
    repeated = sorted({t for t in types if types.count(t) > 1})
    if repeated:
        raise ValueError(f"{attribute.name} lists {', '.join(repeated)} more than once")


@frozen
class HandlerManifest:
    """What a handler is: its command name and version, what it reads, binds and emits."""

    name: str = field(validator=_matches(COMMAND_NAME, "a command name ([a-z][a-z0-9_]*)"))
    version: str = field(
        validator=_matches(
            SEMVER, f"a semantic version (1.2.0) of at most {MAX_VERSION_LENGTH} characters"
        )
    )
    reads: tuple[ReadSpec, ...] = field(default=(), validator=_unique_types)
    input_domain_ids: Mapping[str, str] = field(factory=dict, validator=_input_domain_ids)
    emits: tuple[EmitSpec, ...] = field(default=(), validator=_unique_types)
    abi: int = ABI_VERSION
    description: str | None = None
    input_schema: Mapping[str, Any] | None = None
    sdk: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.abi != ABI_VERSION:
            raise ValueError(
                f"abi {self.abi!r} is not supported (this runtime speaks abi {ABI_VERSION})"
            )

    @property
    def read_types(self) -> tuple[str, ...]:
        return tuple(spec.type for spec in self.reads)

    @property
    def emit_types(self) -> tuple[str, ...]:
        return tuple(spec.type for spec in self.emits)


_converter = cattrs.Converter(forbid_extra_keys=True)


def _strings(value: object, _: object) -> tuple[str, ...]:
    """A JSON array of strings; a lone string is refused (it would split into characters)."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected an array of strings, got {value!r}")
    return tuple(value)


def _string_map(value: object, _: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"expected an object of strings, got {value!r}")
    return dict(value)


_converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _strings)
_converter.register_structure_hook_func(lambda t: t == Mapping[str, str], _string_map)
for _cls in (ReadSpec, EmitSpec, HandlerManifest):
    _converter.register_structure_hook(
        _cls, make_dict_structure_fn(_cls, _converter, _cattrs_forbid_extra_keys=True)
    )


def _describe(exc: BaseException, type_: type | None) -> str:
    """Our validators' messages as they are; cattrs' own wording for the rest."""
    if type(exc) is ValueError:
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


def parse_manifest(document: object) -> HandlerManifest:
    """A manifest from its JSON document.

    InvalidManifestError lists the problems with their JSON paths: every wrong or unknown key,
    and for each object that is refused, the first field check it fails.
    """
    if not isinstance(document, Mapping):
        raise InvalidManifestError([f"$: expected a JSON object, got {type(document).__name__}"])
    try:
        return _converter.structure(document, HandlerManifest)
    except Exception as exc:  # cattrs groups every failure; transform_error gives their paths
        if isinstance(exc, cattrs.BaseValidationError):
            problems = cattrs.transform_error(exc, path="$", format_exception=_describe)
        else:
            problems = [f"$: {exc}"]
        raise InvalidManifestError(problems) from None


def manifest_document(manifest: HandlerManifest) -> dict[str, Any]:
    """The manifest as its JSON document (``parse_manifest`` reads it back)."""
    document: dict[str, Any] = {
        "abi": manifest.abi,
        "name": manifest.name,
        "version": manifest.version,
        "reads": [{"type": r.type, "domain_ids": list(r.domain_ids)} for r in manifest.reads],
        "input_domain_ids": dict(manifest.input_domain_ids),
        "emits": [{"type": e.type} for e in manifest.emits],
    }
    for key in ("description", "input_schema", "sdk"):
        value = getattr(manifest, key)
        if value is not None:
            document[key] = value
    return document
