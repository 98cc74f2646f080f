"""Upload validation of manifests against the tenant's schema."""

from __future__ import annotations

from esruntime.handlers import EmitSpec, HandlerManifest, ReadSpec
from esruntime.handlers.checks import ManifestProblem, check_manifest
from esruntime.schema import parse_schema

SCHEMA = parse_schema(
    """
event OpenedAccount { @account_id: String }
event SentFunds { @account_id: String
 @recipient_id: String?
 amount: Float }
event ReceivedFunds { @account_id: String
 @sender_id: String?
 amount: Float }
"""
)


def manifest(**changes: object) -> HandlerManifest:
    fields: dict[str, object] = {
        "name": "transfer_funds",
        "version": "1.2.0",
        "reads": (
            ReadSpec("OpenedAccount", ("account_id",)),
            ReadSpec("SentFunds", ("account_id",)),
            ReadSpec("ReceivedFunds", ("account_id",)),
        ),
        "input_domain_ids": {"source_account": "account_id", "dest_account": "account_id"},
        "emits": (EmitSpec("SentFunds"), EmitSpec("ReceivedFunds")),
    }
    fields.update(changes)
    return HandlerManifest(**fields)  # type: ignore[arg-type]


def test_a_matching_manifest_passes_with_warnings_for_unbound_domain_ids() -> None:
    errors, warnings = check_manifest(manifest(), SCHEMA)
    assert errors == []
    assert warnings == [
        "Handler queries SentFunds but never matches on recipient_id",
        "Handler queries ReceivedFunds but never matches on sender_id",
    ]


def test_unknown_types_and_domain_ids_are_errors() -> None:
    bad = manifest(
        reads=(ReadSpec("OpenedAccount", ("owner_id",)), ReadSpec("Closed", ())),
        emits=(EmitSpec("FundsTransferred"),),
    )
    errors, _ = check_manifest(bad, SCHEMA)
    assert errors == [
        ManifestProblem(
            "unknown_domain_id",
            "Handler reads 'OpenedAccount' by 'owner_id', which is not a domain id (@) of "
            "OpenedAccount",
        ),
        ManifestProblem("unknown_event_type", "Handler reads 'Closed' which is not in the schema"),
        ManifestProblem(
            "unknown_event_type", "Handler emits 'FundsTransferred' which is not in the schema"
        ),
    ]


def test_without_a_schema_every_type_is_unknown() -> None:
    errors, _ = check_manifest(manifest(), None)
    assert [e.code for e in errors] == ["unknown_event_type"] * 5
