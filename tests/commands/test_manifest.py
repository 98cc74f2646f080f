"""Handler manifests: the ABI's JSON document, checked with precise errors."""

from __future__ import annotations

from typing import Any

import pytest

from esruntime.errors import InvalidManifestError
from esruntime.handlers import EmitSpec, HandlerManifest, ReadSpec, parse_manifest

TRANSFER: dict[str, Any] = {
    "abi": 1,
    "name": "transfer_funds",
    "version": "1.2.0",
    "reads": [
        {"type": "OpenedAccount", "domain_ids": ["account_id"]},
        {"type": "SentFunds", "domain_ids": ["account_id"]},
        {"type": "ReceivedFunds", "domain_ids": ["account_id"]},
    ],
    "input_domain_ids": {"source_account": "account_id", "dest_account": "account_id"},
    "emits": [{"type": "SentFunds"}, {"type": "ReceivedFunds"}],
}


def test_the_abi_example_parses() -> None:
    manifest = parse_manifest(TRANSFER)
    assert manifest.name == "transfer_funds"
    assert manifest.read_types == ("OpenedAccount", "SentFunds", "ReceivedFunds")
    assert manifest.reads[0] == ReadSpec("OpenedAccount", ("account_id",))
    assert manifest.emits == (EmitSpec("SentFunds"), EmitSpec("ReceivedFunds"))
    assert dict(manifest.input_domain_ids) == TRANSFER["input_domain_ids"]


def test_optional_keys_are_kept() -> None:
    document = {**TRANSFER, "description": "Move money", "sdk": "c/1.0", "input_schema": {}}
    manifest = parse_manifest(document)
    assert (manifest.description, manifest.sdk, manifest.input_schema) == (
        "Move money",
        "c/1.0",
        {},
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"name": "TransferFunds"},
            "name 'TransferFunds' is not a command name ([a-z][a-z0-9_]*) @ $",
        ),
        (
            {"version": "1.2"},
            "version '1.2' is not a semantic version (1.2.0) of at most 64 characters @ $",
        ),
        ({"abi": 2}, "abi 2 is not supported (this runtime speaks abi 1) @ $"),
        (
            {"reads": [{"type": "sent"}]},
            "type 'sent' is not an event type name ([A-Z][A-Za-z0-9]*) @ $.reads[0]",
        ),
        (
            {"reads": [{"type": "A", "domain_ids": "account_id"}]},
            "expected an array of strings, got 'account_id' @ $.reads[0].domain_ids",
        ),
        (
            {"reads": [{"type": "A", "domain_ids": ["Account"]}]},
            "domain_ids: 'Account' is not a field name ([a-z_][a-z0-9_]*) @ $.reads[0]",
        ),
        ({"emits": [{"type": "A"}, {"type": "A"}]}, "emits lists A more than once @ $"),
        (
            {"input_domain_ids": {"a": 1}},
            "expected an object of strings, got {'a': 1} @ $.input_domain_ids",
        ),
        ({"surprise": True}, "extra fields found (surprise) @ $"),
        ({"reads": [{"type": "A", "tags": []}]}, "extra fields found (tags) @ $.reads[0]"),
    ],
)
def test_malformed_manifests_name_the_problem_and_its_path(
    change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidManifestError) as raised:
        parse_manifest({**TRANSFER, **change})
    assert problem in raised.value.problems


def test_missing_keys_and_non_objects_are_refused() -> None:
    with pytest.raises(InvalidManifestError) as raised:
        parse_manifest({"version": "1.0.0"})
    assert raised.value.problems == ("required field missing @ $.name",)
    with pytest.raises(InvalidManifestError, match="expected a JSON object, got list"):
        parse_manifest([TRANSFER])


def test_python_handlers_declare_the_same_manifest_in_code() -> None:
    manifest = HandlerManifest(
        name="deposit",
        version="1.0.0",
        reads=(ReadSpec("OpenedAccount", ("account_id",)),),
        input_domain_ids={"account_id": "account_id"},
        emits=(EmitSpec("Deposited"),),
    )
    assert manifest.emit_types == ("Deposited",)
    with pytest.raises(ValueError, match="not a command name"):
        HandlerManifest(name="Deposit", version="1.0.0")
