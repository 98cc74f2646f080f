"""GET /metrics: the runtime's own registry in the Prometheus text format, per tenant."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tests.wasm.modules import counter_wasm, handle_body
from tests.web.apps import Client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted({"tenant": "acme", **labels}.items()))), 0.0)


def test_metrics_count_commands_outcomes_retries_conflicts_events_and_faults(
    client: Client,
) -> None:
    client.command("open_account", {"account_id": "a", "owner": "x"})
    client.command("open_account", {"account_id": "b", "owner": "x"})
    client.command("open_account", {"account_id": "a", "owner": "x"})
    client.command("deposit", {"account_id": "a", "amount": 5}, headers={"X-Idempotency-Key": "d"})
    client.command("deposit", {"account_id": "a", "amount": 5}, headers={"X-Idempotency-Key": "d"})
    client.command("transfer_funds", {"source_account": "a", "dest_account": "b", "amount": 1})
    client.command("contended", {"account_id": "a"})
    client.command("broken", {})
    client.put("/handlers/count", content=counter_wasm(**handle_body("unreachable")),
               content_type="application/wasm", headers={"X-Handler-Version": "1.0.0"})  # fmt: skip
    client.command("count", {"counter_id": "c"})
    client.command("no_such_command", {})

    reply = client.get("/metrics")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    found = samples(reply.text)
    commands = "esruntime_commands_total"
    assert value(found, commands, handler="open_account", outcome="ok") == 2
    assert value(found, commands, handler="open_account", outcome="rejected") == 1
    assert value(found, commands, handler="deposit", outcome="ok") == 2
    assert value(found, "esruntime_command_replays_total", handler="deposit") == 1
    assert value(found, "esruntime_events_appended_total", handler="transfer_funds") == 2
    assert value(found, "esruntime_events_appended_total", handler="deposit") == 1
    assert value(found, commands, handler="contended", outcome="conflict") == 1
    assert value(found, "esruntime_command_conflicts_total", handler="contended") == 1
    assert value(found, "esruntime_command_retries_total", handler="contended") == 2
    assert value(found, commands, handler="broken", outcome="fault") == 1
    assert (
        value(found, "esruntime_handler_faults_total", handler="broken", code="undeclared_event")
        == 1
    )
    assert value(found, "esruntime_handler_faults_total", handler="count", code="trap") == 1
    assert value(found, "esruntime_command_duration_seconds_count", handler="transfer_funds") == 1
    assert not any(dict(labels).get("handler") == "no_such_command" for _, labels in found)
    requests = "esruntime_http_requests_total"
    assert value(found, requests, route="execute_command", method="POST", status="404") == 1
    assert value(found, requests, route="put_handler", method="PUT", status="200") == 1


def test_metrics_live_in_the_runtimes_registry_not_the_global_one(client: Client) -> None:
    client.command("open_account", {"account_id": "a", "owner": "x"})
    assert (
        REGISTRY.get_sample_value(
            "esruntime_commands_total",
            {"tenant": "acme", "handler": "open_account", "outcome": "ok"},
        )
        is None
    )
    assert client.runtime.metrics.registry is not REGISTRY


def test_metrics_need_the_admin_permission(client: Client) -> None:
    reply = client.get("/metrics", key="acme:events.read")
    assert reply.status == 403
    assert client.get("/metrics", key="acme:admin").status == 200
