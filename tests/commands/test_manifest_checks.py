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


INPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "source_account": {"type": "string"},
        "dest_account": {"type": "string"},
        "amount": {"type": "number"},
    },
}


def test_a_matching_manifest_passes_with_warnings_for_unbound_domain_ids() -> None:
    errors, warnings = check_manifest(manifest(input_schema=INPUT_SCHEMA), SCHEMA)
    assert errors == []
    assert warnings == [
        "Handler queries SentFunds but never matches on recipient_id",
        "Handler queries ReceivedFunds but never matches on sender_id",
    ]


def test_bound_input_fields_without_an_input_schema_are_named_in_warnings() -> None:
    errors, warnings = check_manifest(manifest(), SCHEMA)
    assert errors == []
    assert warnings[2:] == [
        f"Handler binds input field '{name}' to account_id but declares no input schema to "
        f"check it against: a command without '{name}' reads every event of the types it reads "
        "by account_id"
        for name in ("source_account", "dest_account")
    ]


def test_an_input_field_named_as_its_domain_id_needs_no_input_schema() -> None:
    opening = manifest(
        reads=(ReadSpec("OpenedAccount", ("account_id",)),),
        input_domain_ids={"account_id": "account_id"},
        emits=(EmitSpec("OpenedAccount"),),
    )
    assert check_manifest(opening, SCHEMA) == ([], [])


def test_a_misspelt_input_field_is_an_error_where_the_input_schema_is_known() -> None:
    misspelt = manifest(
        input_domain_ids={"source_acount": "account_id", "dest_account": "account_id"},
        input_schema=INPUT_SCHEMA,
    )
    errors, _ = check_manifest(misspelt, SCHEMA)
    assert errors == [
        ManifestProblem(
            "unknown_input_field",
            "Handler binds input field 'source_acount' (to account_id), which its input schema "
            "does not have (its fields: source_account, dest_account, amount)",
        )
    ]


def test_a_misspelt_bound_domain_id_is_an_error_naming_it() -> None:
    misspelt = manifest(
        input_domain_ids={"source_account": "acount_id", "dest_account": "account_id"},
        input_schema=INPUT_SCHEMA,
    )
    errors, warnings = check_manifest(misspelt, SCHEMA)
    assert errors == [
        ManifestProblem(
            "unknown_domain_id",
            "Handler binds input field 'source_account' to 'acount_id', which no type it reads "
            "is tagged by (its reads are tagged by: account_id)",
        )
    ]
    assert "never matches on acount_id" not in " ".join(warnings)


def test_unknown_types_and_domain_ids_are_errors() -> None:
    bad = manifest(
        reads=(ReadSpec("OpenedAccount", ("owner_id",)), ReadSpec("Closed", ())),
        emits=(EmitSpec("FundsTransferred"),),
    )
    errors, _ = check_manifest(bad, SCHEMA)
    unbound = "which no type it reads is tagged by (its reads are tagged by: owner_id)"
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
        *(
            ManifestProblem(
                "unknown_domain_id",
                f"Handler binds input field '{name}' to 'account_id', {unbound}",
            )
            for name in ("source_account", "dest_account")
        ),
    ]


def test_without_a_schema_every_type_is_unknown() -> None:
    errors, _ = check_manifest(manifest(), None)
    assert [e.code for e in errors] == ["unknown_event_type"] * 5
