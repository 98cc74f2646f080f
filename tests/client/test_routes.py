"""Both clients name the same routes, each built once, with the builder's signature and docs."""

from __future__ import annotations

import inspect

from esruntime.client import AsyncClient, Client
from esruntime.client.routes import Route


def routes(cls: type) -> dict[str, Route]:  # type: ignore[type-arg]
    return {name: value for name, value in vars(cls).items() if isinstance(value, Route)}


def test_the_clients_share_every_route() -> None:
    sync, asynchronous = routes(Client), routes(AsyncClient)
    assert len(sync) >= 20
    assert {name: r.build for name, r in sync.items()} == {
        name: r.build for name, r in asynchronous.items()
    }
    for name, route in sync.items():
        assert route.build.__name__ == name
        assert inspect.getdoc(getattr(Client, name)), name


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
