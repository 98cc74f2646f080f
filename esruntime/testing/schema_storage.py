"""The schema storage contract: one suite that every :class:`~esruntime.protocols.SchemaStorage`
passes (needs pytest).

Subclass :class:`SchemaStorageContract` and provide ``make_storage``: a fixture returning a
callable ``make_storage(tenant="default")`` that gives storage over one empty database per
test (asking twice for a tenant may return the same object or a new one over the same data).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from esruntime.errors import ConfigurationError
from esruntime.protocols.schema import SchemaRow, SchemaStorage
from esruntime.testing.threads import run_together

__all__ = ["SchemaStorageContract"]

MakeStorage = Callable[..., SchemaStorage]
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def row(seq: int, version: str | None = None, text: str | None = None) -> SchemaRow:
    """A stored version: ``seq`` seconds after a fixed moment, with microseconds."""
    chosen = version or f"0.{seq}.0"
    return seq, chosen, text or f"event E{seq} {{}}\n", NOW + timedelta(seconds=seq)


class SchemaStorageContract:
    """The behaviour every schema storage must have."""

    def test_a_new_tenant_has_no_versions(self, make_storage: MakeStorage) -> None:
        storage = make_storage("acme")
        assert storage.tenant == "acme"
        assert storage.rows() == []
        assert storage.latest() is None

    def test_a_version_reads_back_equal(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        text = "// ünïcödé and 🦀 in a comment\nevent OpenedAccount {\n  @account_id: String\n}\n"
        stored = row(1, "0.1.0", text)
        assert storage.insert(stored) is True
        assert storage.rows() == [stored]
        assert storage.latest() == stored
        assert storage.latest()[3].tzinfo is not None  # type: ignore[index]

    def test_versions_come_back_in_push_order(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        rows = [row(1, "0.1.0"), row(2, "0.2.0"), row(3, "1.0.0")]
        for each in rows:
            assert storage.insert(each) is True
        assert storage.rows() == rows
        assert storage.latest() == rows[-1]

    def test_a_taken_seq_is_refused_and_changes_nothing(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        assert storage.insert(row(1, "0.1.0", "event A {}\n")) is True
        assert storage.insert(row(1, "9.9.9", "event B {}\n")) is False
        assert storage.rows() == [row(1, "0.1.0", "event A {}\n")]

    def test_tenants_keep_their_own_versions(self, make_storage: MakeStorage) -> None:
        acme, globex = make_storage("acme"), make_storage("globex")
        assert acme.insert(row(1, "0.1.0", "event A {}\n")) is True
        assert (
            globex.insert(row(1, "0.1.0", "event G {}\n")) is True
        )  # the same seq, another tenant
        assert [r[2] for r in acme.rows()] == ["event A {}\n"]
        assert [r[2] for r in globex.rows()] == ["event G {}\n"]
        assert make_storage("initech").latest() is None

    def test_another_storage_object_sees_the_same_versions(self, make_storage: MakeStorage) -> None:
        assert make_storage("acme").insert(row(1)) is True
        again = make_storage("acme")
        assert again.rows() == [row(1)]
        assert again.insert(row(1)) is False

    def test_a_large_schema_round_trips(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        text = "".join(f"event E{i} {{\n  @a{i}: String\n}}\n" for i in range(20_000))
        assert storage.insert(row(1, "0.1.0", text)) is True
        assert storage.latest()[2] == text  # type: ignore[index]

    @pytest.mark.parametrize("tenant", ["", "x" * 1000, "a\x00b", "line\nbreak", 7])
    def test_a_bad_tenant_name_is_refused(self, make_storage: MakeStorage, tenant: object) -> None:
        with pytest.raises(ConfigurationError):
            make_storage(tenant)

    def test_of_concurrent_inserts_at_one_seq_exactly_one_wins(
        self, make_storage: MakeStorage
    ) -> None:
        storage = make_storage()
        results = run_together(8, lambda i: storage.insert(row(1, f"0.{i}.0")))
        assert sorted(results) == [False] * 7 + [True]
        assert len(storage.rows()) == 1

    def test_concurrent_pushes_that_retry_leave_no_gap(self, make_storage: MakeStorage) -> None:
        """Each writer reads the latest seq and inserts the next, again on a lost race: the
        service's push loop. Every insert lands once, at consecutive seqs."""
        storages = [make_storage("acme") for _ in range(4)]

        def push_three(i: int) -> int:
            storage = storages[i]
            for n in range(3):
                while True:
                    latest = storage.latest()
                    seq = 1 if latest is None else latest[0] + 1
                    if storage.insert(row(seq, f"{i}.{n}.0")):
                        break
            return i

        run_together(4, push_three)
        rows = storages[0].rows()
        assert [r[0] for r in rows] == list(range(1, 13))
        assert sorted(r[1] for r in rows) == sorted(
            f"{i}.{n}.0" for i in range(4) for n in range(3)
        )
