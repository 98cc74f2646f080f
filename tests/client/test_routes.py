"""Both clients take their one-call methods from one table, with the builders' signatures."""

from __future__ import annotations

import inspect

from esruntime.client import AsyncClient, Client
from esruntime.client.routes import Route, Routes


def test_both_clients_take_every_route_from_one_table() -> None:
    table = {name: value for name, value in vars(Routes).items() if isinstance(value, Route)}
    assert len(table) >= 20
    for name, route in table.items():
        assert route.build.__name__ == name
        assert inspect.getdoc(route), name
        for client in (Client, AsyncClient):
            assert getattr(client, name) is route, (client, name)


def test_a_bound_route_shows_the_methods_signature() -> None:
    client = Client("http://127.0.0.1:9/v1")
    try:
        shown = inspect.signature(client.query_events)
        assert list(shown.parameters)[:3] == ["event_types", "domain_ids", "after_position"]
        assert shown.parameters["limit"].kind is inspect.Parameter.KEYWORD_ONLY
        assert shown.return_annotation is inspect.Signature.empty
        assert client.push_schema.__name__ == "push_schema"
        assert Client.get_execution.build("s1", "e1").request.path == "scripts/s1/executions/e1"
    finally:
        client.close()
