"""Who a request acts for: a tenant and a set of permissions (``docs/http-api.md``,
"Authentication and permissions")."""

from __future__ import annotations

from collections.abc import Iterable

from attrs import field, frozen

from esruntime.checks import check_tenant
from esruntime.errors import ConfigurationError

__all__ = ["PERMISSIONS", "Principal", "check_permissions"]

PERMISSIONS = (
    "commands.execute",
    "events.read",
    "schema.read",
    "schema.write",
    "handlers.read",
    "handlers.write",
    "scripts.read",
    "scripts.create",
    "scripts.update",
    "scripts.delete",
    "scripts.execute",
    "admin",
)
"""Every permission; ``admin`` grants all the others (within its own tenant only)."""


def check_permissions(permissions: Iterable[str]) -> tuple[str, ...]:
    """The permissions, sorted and without repeats; ConfigurationError names an unknown one."""
    if isinstance(permissions, str):
        raise ConfigurationError(
            f"permissions must be a list of names, not the string {permissions!r}"
        )
    chosen = set(permissions)
    unknown = sorted(str(p) for p in chosen - set(PERMISSIONS))
    if unknown:
        raise ConfigurationError(
            f"unknown permission(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(PERMISSIONS)}"
        )
    return tuple(sorted(chosen))


def _frozen(permissions: Iterable[str]) -> frozenset[str]:
    return frozenset(permissions)


@frozen
class Principal:
    """An authenticated caller: the one tenant it acts in and what it may do there.

    Built from an API key by the default resolver, or by a host application's own resolver.
    """

    tenant: str = field(validator=lambda _, __, value: check_tenant(value))
    permissions: frozenset[str] = field(converter=_frozen)
    name: str = ""
    key_id: str | None = None

    def allows(self, permission: str) -> bool:
        """Whether this principal may do what ``permission`` names (``admin`` may do all)."""
        return permission in self.permissions or "admin" in self.permissions
