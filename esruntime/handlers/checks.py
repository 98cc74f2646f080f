"""The checks of a handler manifest against the tenant's schema (``docs/abi.md``, "Upload
validation", step 4), the same wherever a handler enters: an upload, a Python handler registered
in code, a test :class:`~esruntime.testing.Scenario`, and every command run against a changed
schema.

Errors refuse the handler: what it reads and emits must exist, the domain ids it reads by must
be ``@`` fields of those types, and each input field it binds must bind a domain id that a type
it reads is tagged by, and must be a field of its input schema when it declares one. Warnings do
not refuse it: a read type whose ``@`` fields the input never binds, and a bound input field
that nothing checks (no input schema, and not itself the name of a domain id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esruntime.errors import HandlerRejectedError, ManifestProblem
from esruntime.handlers.input_schema import input_schema_problems
from esruntime.handlers.manifest import HandlerManifest
from esruntime.schema.model import Schema

__all__ = ["ManifestProblem", "check_handler", "check_manifest"]


def check_manifest(
    manifest: HandlerManifest, schema: Schema | None
) -> tuple[list[ManifestProblem], list[str]]:
    """The errors (which refuse the handler) and the warnings (which do not)."""
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
    binding_errors, binding_warnings = _binding_problems(manifest)
    errors.extend(binding_errors)
    warnings.extend(binding_warnings)
    return errors, warnings


def check_handler(manifest: HandlerManifest, schema: Schema | None) -> list[str]:
    """The upload checks for a handler that enters another way (registered in code, or under
    test): raises :class:`~esruntime.errors.HandlerRejectedError` with the errors an upload
    would report, and returns the warnings it would."""
    errors, warnings = check_manifest(manifest, schema)
    if errors:
        raise HandlerRejectedError(manifest.name, errors)
    return warnings


def _binding_problems(manifest: HandlerManifest) -> tuple[list[ManifestProblem], list[str]]:
    """A binding (``input_domain_ids``) names two fields; a misspelt one of either is silent at
    run time (the read widens to every event of the type), so each is named here."""
    errors: list[ManifestProblem] = []
    warnings: list[str] = []
    carried = list(dict.fromkeys(f for read in manifest.reads for f in read.domain_ids))
    input_fields = _input_fields(manifest.input_schema)
    for input_field, domain_field in manifest.input_domain_ids.items():
        if domain_field not in carried:
            errors.append(
                ManifestProblem(
                    "unknown_domain_id",
                    f"Handler binds input field '{input_field}' to '{domain_field}', which no "
                    f"type it reads is tagged by (its reads are tagged by: "
                    f"{', '.join(carried) or 'nothing'})",
                )
            )
        if input_fields is not None:
            if input_field not in input_fields:
                errors.append(
                    ManifestProblem(
                        "unknown_input_field",
                        f"Handler binds input field '{input_field}' (to {domain_field}), which "
                        f"its input schema does not have (its fields: "
                        f"{', '.join(input_fields) or 'none'})",
                    )
                )
        elif input_field not in carried:
            warnings.append(
                f"Handler binds input field '{input_field}' to {domain_field} but declares no "
                f"input schema to check it against: a command without '{input_field}' reads "
                f"every event of the types it reads by {domain_field}"
            )
    return errors, warnings


def _input_fields(input_schema: Mapping[str, Any] | None) -> list[str] | None:
    """The fields an input JSON Schema declares, or None when it declares none to check by."""
    if not isinstance(input_schema, Mapping):
        return None
    properties = input_schema.get("properties")
    if not isinstance(properties, Mapping):
        return None
    return [str(name) for name in properties]
