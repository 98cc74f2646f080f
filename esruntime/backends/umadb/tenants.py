"""A tenant's number on a UmaDB server: the namespace of its types and tags.

A tenant is registered by its first append, atomically with it: the append carries the
tracking record ``esruntime.tenant:<name>`` (UmaDB's tracking records take no position) set to
the position its first event gets, which is the tenant's number. To know that position before
writing, the first append is conditional on no event at all following the head it read; a
racing append makes it read the head again and retry. Until then the tenant has no events, and
reads of it return none.
"""

from __future__ import annotations

from collections.abc import Callable

import umadb

from esruntime.errors import StoreUnavailableError

__all__ = ["MAX_FIRST_APPEND_ATTEMPTS", "TenantNumber"]

MAX_FIRST_APPEND_ATTEMPTS = 200
"""Retries of a tenant's first append that other appends keep overtaking: then it gives up."""

_SOURCE = "esruntime.tenant:"

FirstAppend = Callable[[int], list[umadb.Event]]
"""Builds the events of the first append for the tenant number it is given."""


class TenantNumber:
    """Looks up (and caches) a tenant's number; registers the tenant with its first append."""

    def __init__(self, client: umadb.Client, tenant: str) -> None:
        self._client = client
        self._source = _SOURCE + tenant
        self.number: int | None = None

    def lookup(self) -> int | None:
        """The tenant's number, or None while it has no event. Once known it never changes."""
        if self.number is None:
            self.number = self._client.get_tracking_info(self._source)
        return self.number

    def first_append(self, build: FirstAppend) -> tuple[int, int] | None:
        """Append ``build(number)`` as the tenant's first events; return (number, position).

        None when the tenant turned out to be registered meanwhile (the caller appends as
        usual then). Raises StoreUnavailableError when other appends overtake it every time.
        """
        for _ in range(MAX_FIRST_APPEND_ATTEMPTS):
            # The head first: a registration the lookup misses comes after it, and then the
            # condition fails (looking up first could miss one that the head already covers).
            head = self._client.head()
            if self.lookup() is not None:
                return None
            number = (head or 0) + 1
            everything_after = umadb.AppendCondition(umadb.Query([]), after=head)
            tracking = umadb.TrackingInfo(self._source, number)
            try:
                position = self._client.append(build(number), everything_after, tracking)
            except umadb.IntegrityError:
                continue  # another append came first: perhaps this tenant's, so look again
            self.number = number
            return number, int(position)
        raise StoreUnavailableError(
            f"the first append of a tenant was overtaken {MAX_FIRST_APPEND_ATTEMPTS} times by "
            "other appends to the UmaDB server; retry it"
        )
