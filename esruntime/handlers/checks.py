"""Upload validation of a handler manifest against the tenant's schema (ABI.md §Upload
validation, step 4): what it reads and emits must exist, and its domain ids must be ``@``
fields; a read type whose ``@`` fields the input never binds is worth a warning."""

from __future__ import annotations

from attrs import frozen

from esruntime.handlers.input_schema import input_schema_problems
from esruntime.handlers.manifest import HandlerManifest
from esruntime.schema.model import Schema

__all__ = ["ManifestProblem", "check_manifest"]


@frozen
class ManifestProblem:
    """An upload validation error, as the HTTP API sends it."""

    code: str
    message: str


def check_manifest(
    manifest: HandlerManifest, schema: Schema | None
) -> tuple[list[ManifestProblem], list[str]]:
    """The errors (which refuse the upload) and the warnings (which do not)."""
    errors: list[ManifestProblem] = []
    warnings: list[str] = []
    bound = set(manifest.input_domain_ids.values())
    for read in manifest.reads:
        event = None if schema is None else schema.event(read.type)
        if event is None:
            errors.append(
                ManifestProblem(
                    "unknown_event_type", f"Handler reads '{read.type}' which is not in the schema"
                )
            )
            continue
        errors.extend(
            ManifestProblem(
                "unknown_domain_id",
                f"Handler reads '{read.type}' by '{field_name}', which is not a domain "
                f"id (@) of {read.type}",
            )
            for field_name in read.domain_ids
            if field_name not in event.domain_ids
        )
        warnings.extend(
            f"Handler queries {read.type} but never matches on {field_name}"
            for field_name in event.domain_ids
            if field_name not in bound
        )
    errors.extend(
        ManifestProblem(
            "unknown_event_type", f"Handler emits '{emit.type}' which is not in the schema"
        )
        for emit in manifest.emits
        if schema is None or schema.event(emit.type) is None
    )
    if manifest.input_schema is not None:
        errors.extend(
            ManifestProblem("invalid_input_schema", f"input_schema {problem}")
            for problem in input_schema_problems(manifest.input_schema)
        )
    return errors, warnings
