"""The handler registry: a tenant's uploaded WebAssembly handlers, every version kept.

An upload is checked before it is stored (``docs/abi.md``, "Upload validation"): the version
is semver, the module describes itself (``describe`` loads it under limits and returns its
manifest), the manifest's name is the command's, and its types and domain ids exist in the
tenant's schema.
Results are the HTTP API's shapes: :class:`UploadAccepted` (with warnings) or
:class:`UploadRejected` (every error). Backends only store versions
(:class:`~esruntime.protocols.HandlerStorage`); the rules live here, in :class:`HandlerService`.

A new version becomes the handler's current one, the version that runs its commands;
:meth:`HandlerService.make_current` chooses another stored version (a rollback, or a roll
forward again), checked against the schema as an upload is. Uploading a stored version's bytes
again changes nothing (the result warns when that version is not the current one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from attrs import field, frozen

from esruntime.errors import EsruntimeError
from esruntime.handlers.checks import ManifestProblem, check_manifest
from esruntime.handlers.manifest import COMMAND_NAME, SEMVER, HandlerManifest
from esruntime.schema.model import Schema

if TYPE_CHECKING:
    from esruntime.protocols.handlers import HandlerStorage

__all__ = [
    "MAX_MODULE_BYTES",
    "Describe",
    "HandlerService",
    "HandlerVersion",
    "UploadAccepted",
    "UploadRejected",
    "UploadResult",
    "epoch_hour",
]

MAX_MODULE_BYTES = 10 * 1024 * 1024

Describe = Callable[[bytes], HandlerManifest]
"""Loads a module under limits and returns its manifest; raises EsruntimeError when it cannot."""


@frozen
class HandlerVersion:
    """One stored version of a handler (its module bytes are fetched on demand)."""

    name: str
    version: str
    sha256: str
    size: int
    manifest: HandlerManifest = field(repr=False)
    uploaded_at: datetime

    @property
    def event_types(self) -> tuple[str, ...]:
        return self.manifest.read_types

    @property
    def domain_id_fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for r in self.manifest.reads for f in r.domain_ids))


@frozen
class UploadAccepted:
    handler: HandlerVersion
    warnings: tuple[str, ...] = ()
    status: Literal["ok"] = "ok"


@frozen
class UploadRejected:
    errors: tuple[ManifestProblem, ...]
    status: Literal["rejected"] = "rejected"


UploadResult = UploadAccepted | UploadRejected


class HandlerService:
    """One tenant's handler registry: the upload rules over a backend's stored versions.

    ``describe`` loads a module under limits and returns its manifest; ``schema`` gives the
    tenant's current schema, which uploads are checked against.
    """

    def __init__(
        self,
        storage: HandlerStorage,
        describe: Describe,
        schema: Callable[[], Schema | None] = lambda: None,
    ) -> None:
        self._storage = storage
        self._describe = describe
        self._schema = schema

    @property
    def tenant(self) -> str:
        return self._storage.tenant

    @property
    def storage(self) -> HandlerStorage:
        """Where the versions are kept."""
        return self._storage

    # -- reading, straight from the storage ------------------------------------------------------

    def current(self, name: str) -> HandlerVersion | None:
        """The version that runs the handler's commands: the latest upload, unless
        :meth:`make_current` chose another."""
        return self._storage.current(name)

    def versions(self, name: str) -> list[HandlerVersion]:
        """Every version of a handler, oldest first."""
        return self._storage.versions(name)

    def handlers(self) -> list[HandlerVersion]:
        """The current version of every handler, by name."""
        return self._storage.handlers()

    def module(self, name: str, version: str | None = None) -> bytes | None:
        """The module bytes of a version (the current one by default)."""
        return self._storage.module(name, version)

    def delete(self, name: str) -> bool:
        """Forget a handler and all its versions; False when there was none."""
        return self._storage.delete(name)

    def add_executions(self, hour: int, counts: Mapping[str, int]) -> None:
        """Add executions per handler to the hour (hours since the epoch, UTC)."""
        self._storage.add_executions(hour, counts)

    def executions_since(self, name: str, hour: int) -> int:
        """Executions of a handler counted in ``hour`` and after."""
        return self._storage.executions_since(name, hour)

    def all_executions_since(self, hour: int) -> dict[str, int]:
        """Executions of every handler counted in ``hour`` and after, by name (one query)."""
        return self._storage.all_executions_since(hour)

    def executions_24h(self, name: str, now: datetime | None = None) -> int:
        """Executions of a handler in the current hour and the 23 before it."""
        return self.executions_since(name, epoch_hour(now or datetime.now(UTC)) - 23)

    def all_executions_24h(self, now: datetime | None = None) -> dict[str, int]:
        """:meth:`executions_24h` of every handler with executions, by name."""
        return self.all_executions_since(epoch_hour(now or datetime.now(UTC)) - 23)

    # -- the rules -------------------------------------------------------------------------------

    def make_current(self, name: str, version: str) -> UploadResult:
        """Make stored ``version`` of ``name`` the one that runs its commands.

        Refused (with the upload's error shape) when there is no such handler
        (``handler_not_found``) or version (``version_not_found``), or when that version's
        manifest no longer passes the upload checks against today's schema.
        """
        versions = self.versions(name) if COMMAND_NAME.fullmatch(str(name)) else []
        if not versions:
            return UploadRejected(
                (ManifestProblem("handler_not_found", f"No handler registered with name '{name}'"),)
            )
        chosen = next((v for v in versions if v.version == version), None)
        if chosen is None:
            stored = ", ".join(v.version for v in versions)
            return UploadRejected(
                (
                    ManifestProblem(
                        "version_not_found",
                        f"'{name}' has no version {version!r} (it has {stored})",
                    ),
                )
            )
        errors, warnings = check_manifest(chosen.manifest, self._schema())
        if errors:
            return UploadRejected(tuple(errors))
        if not self._storage.set_current(name, version):
            return UploadRejected(
                (ManifestProblem("version_not_found", f"'{name}' {version} was just deleted"),)
            )
        return UploadAccepted(chosen, tuple(warnings))

    def upload(self, name: str, module: bytes, version: str) -> UploadResult:
        """Validate and store ``module`` as ``version`` of command ``name``."""
        problems = _request_problems(name, module, version)
        if problems:
            return UploadRejected(tuple(problems))
        try:
            manifest = self._describe(bytes(module))
        except EsruntimeError as exc:
            return UploadRejected((ManifestProblem("invalid_module", str(exc)),))
        for _ in range(5):
            result = self._upload(name, bytes(module), version, manifest)
            if result is not None:
                return result
        return UploadRejected(
            (ManifestProblem("busy", f"'{name}' kept changing during the upload; try again"),)
        )

    def _upload(
        self, name: str, module: bytes, version: str, manifest: HandlerManifest
    ) -> UploadResult | None:
        """The upload's result, or None when a concurrent upload got in the way."""
        errors, warnings = check_manifest(manifest, self._schema())
        if manifest.name != name:
            errors.insert(
                0,
                ManifestProblem(
                    "name_mismatch",
                    f"The module describes command '{manifest.name}', uploaded as '{name}'",
                ),
            )
        digest = hashlib.sha256(module).hexdigest()
        existing = next((v for v in self.versions(name) if v.version == version), None)
        if existing is not None and existing.sha256 != digest:
            errors.append(
                ManifestProblem(
                    "version_exists",
                    f"Version {version} of '{name}' exists with other bytes; upload a new version",
                )
            )
        if errors:
            return UploadRejected(tuple(errors))
        if manifest.version != version:
            warnings.append(
                f"The module says version {manifest.version}; it is stored as {version}"
            )
        if existing is not None:  # the same upload again: nothing changes
            current = self.current(name)
            if current is not None and current.version != version:
                warnings.append(
                    f"Version {version} was stored already; {current.version} stays current "
                    f"(make {version} current to run it)"
                )
            return UploadAccepted(existing, tuple(warnings))
        handler = HandlerVersion(name, version, digest, len(module), manifest, datetime.now(UTC))
        if not self._storage.store(handler, module):
            return None
        return UploadAccepted(handler, tuple(warnings))


def _request_problems(name: str, module: bytes, version: str) -> list[ManifestProblem]:
    problems = []
    if not isinstance(name, str) or not COMMAND_NAME.fullmatch(name):
        problems.append(
            ManifestProblem("invalid_name", f"'{name}' is not a command name ([a-z][a-z0-9_]*)")
        )
    if not isinstance(version, str) or not SEMVER.fullmatch(version):
        problems.append(
            ManifestProblem("invalid_version", f"'{version}' is not a semantic version (1.2.0)")
        )
    if not isinstance(module, bytes | bytearray) or not module:
        problems.append(ManifestProblem("invalid_module", "The module is empty"))
    elif len(module) > MAX_MODULE_BYTES:
        problems.append(
            ManifestProblem(
                "module_too_large",
                f"The module is {len(module):,} bytes; the limit is {MAX_MODULE_BYTES:,}",
            )
        )
    return problems


def epoch_hour(moment: datetime) -> int:
    """Hours since the Unix epoch (UTC) of ``moment``."""
    return int(moment.timestamp() // 3600)
