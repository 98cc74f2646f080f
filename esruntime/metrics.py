"""Prometheus metrics of a runtime, in a registry the runtime owns (never the global one).

Every series is labelled by ``tenant``; :meth:`RuntimeMetrics.render` with a tenant shows only
that tenant's series, so ``GET /metrics`` tells a tenant nothing about another. Unknown command
names are never used as labels (a client could otherwise grow the registry without bound).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import Metric

from esruntime.commands.executor import CommandResult

__all__ = ["CONTENT_TYPE", "RuntimeMetrics"]

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
"""The media type of :meth:`RuntimeMetrics.render`'s text (Prometheus text format 0.0.4)."""

_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip


class RuntimeMetrics:
    """The runtime's counters and histograms; ``registry`` is its own ``CollectorRegistry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        by_handler = ("tenant", "handler")
        self.commands = Counter(
            "esruntime_commands",
            "Commands executed, by handler and outcome (ok, rejected, conflict, fault).",
            (*by_handler, "outcome"),
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "esruntime_command_duration_seconds",
            "Time to execute a command, retries included.",
            by_handler,
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.retries = Counter(
            "esruntime_command_retries",
            "Commands re-run because a concurrent append changed what they read.",
            by_handler,
            registry=self.registry,
        )
        self.conflicts = Counter(
            "esruntime_command_conflicts",
            "Commands that ended in conflict (retries exhausted).",
            by_handler,
            registry=self.registry,
        )
        self.replays = Counter(
            "esruntime_command_replays",
            "Commands answered from an idempotency record without running the handler.",
            by_handler,
            registry=self.registry,
        )
        self.events_appended = Counter(
            "esruntime_events_appended",
            "Events appended by commands.",
            by_handler,
            registry=self.registry,
        )
        self.handler_faults = Counter(
            "esruntime_handler_faults",
            "Handlers that broke their contract, by fault code (trap, out_of_fuel, ...).",
            (*by_handler, "code"),
            registry=self.registry,
        )
        self.http_requests = Counter(
            "esruntime_http_requests",
            "HTTP API requests, by route and status.",
            ("tenant", "route", "method", "status"),
            registry=self.registry,
        )
        # The counter of each label set, found once (``labels`` takes a lock and checks every
        # label on each call: a few µs of every request).
        self._request_counters: dict[tuple[str, str, str, int], Any] = {}
        # The same for the commands' series (the metrics live as long as this object).
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def record_command(
        self, tenant: str, handler: str, result: CommandResult, seconds: float
    ) -> None:
        """Count a command's result and how long it took."""
        child = self._child
        child(self.commands, tenant, handler, result.outcome).inc()
        child(self.command_seconds, tenant, handler).observe(seconds)
        if result.retries:
            child(self.retries, tenant, handler).inc(result.retries)
        if result.outcome == "conflict":
            child(self.conflicts, tenant, handler).inc()
        if result.replayed:
            child(self.replays, tenant, handler).inc()
        elif result.event_ids:
            child(self.events_appended, tenant, handler).inc(len(result.event_ids))

    def _child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, found once per label set (as the request counters)."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def record_fault(self, tenant: str, handler: str, code: str, seconds: float) -> None:
        """Count a handler fault (its command's outcome is ``fault``)."""
        self.commands.labels(tenant, handler, "fault").inc()
        self.command_seconds.labels(tenant, handler).observe(seconds)
        self.handler_faults.labels(tenant, handler, code).inc()

    def record_request(self, tenant: str | None, route: str, method: str, status: int) -> None:
        """Count an HTTP request (``tenant`` None before authentication)."""
        key = (tenant or "", route, method, status)
        counter = self._request_counters.get(key)
        if counter is None:
            counter = self.http_requests.labels(tenant or "", route, method, str(status))
            self._request_counters[key] = counter
        counter.inc()

    def render(self, tenant: str | None = None) -> bytes:
        """The Prometheus text of every series, or of ``tenant``'s series only."""
        if tenant is None:
            return generate_latest(self.registry)
        return generate_latest(_TenantView(self.registry, tenant))


class _TenantView:
    """The registry's samples labelled with one tenant."""

    def __init__(self, registry: CollectorRegistry, tenant: str) -> None:
        self._registry = registry
        self._tenant = tenant

    def collect(self) -> Iterable[Metric]:
        for metric in self._registry.collect():
            kept = Metric(metric.name, metric.documentation, metric.type, metric.unit)
            kept.samples = [s for s in metric.samples if s.labels.get("tenant") == self._tenant]
            yield kept
