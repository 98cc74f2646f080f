"""The client methods of the API's routes, written once for both clients: :class:`Routes`.

A route's builder (:mod:`esruntime.client.calls`) has the method's signature and docstring and
makes the :class:`~esruntime.client.protocol.Call`; :class:`Routes` names each route in one
line (``get_schema = Route(calls.get_schema)``), and ``Client`` and ``AsyncClient`` inherit
them. A method sends its call through the client's ``_call``: it returns the answer in
``Client``, a coroutine in ``AsyncClient``; type checkers see the builder's parameters and the
matching return type. The methods that do more than one call (``execute`` resends a conflicting
command, ``iter_events`` pages) are each client's own.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Self, TypeVar, overload

from esruntime.client import calls
from esruntime.client.calls import scripts as script_calls
from esruntime.client.protocol import Call

if TYPE_CHECKING:
    from esruntime.client.asynchronous import AsyncClient
    from esruntime.client.sync import Client

__all__ = ["Route", "Routes"]

P = ParamSpec("P")
T = TypeVar("T")


class Route(Generic[P, T]):
    """A client method that sends the call ``build`` makes of its arguments."""

    def __init__(self, build: Callable[P, Call[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        self.__wrapped__ = build
        # What ``help()`` shows of the method: the builder's parameters (it returns a Call, the
        # method the call's answer).
        self.signature = inspect.signature(build).replace(return_annotation=inspect.Signature.empty)

    @overload
    def __get__(self, client: None, owner: type[Any] | None = None) -> Self: ...

    @overload
    def __get__(
        self, client: AsyncClient, owner: type[Any] | None = None
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...

    @overload
    def __get__(self, client: Client, owner: type[Any] | None = None) -> Callable[P, T]: ...

    def __get__(self, client: Any, owner: type[Any] | None = None) -> Any:
        if client is None:
            return self
        send, build = client._call, self.build

        @functools.wraps(build)
        def method(*args: P.args, **kwargs: P.kwargs) -> Any:
            return send(build(*args, **kwargs))

        method.__signature__ = self.signature  # type: ignore[attr-defined]
        return method

    def __call__(self, client: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        """The method called on the class, with the client first (``Client.health(client)``)."""
        return client._call(self.build(*args, **kwargs))


class Routes:
    """The one-call methods of :class:`~esruntime.client.Client` and
    :class:`~esruntime.client.AsyncClient`."""

    # -- schema ----------------------------------------------------------------------------

    get_schema = Route(calls.get_schema)
    push_schema = Route(calls.push_schema)
    validate_schema = Route(calls.validate_schema)

    # -- handlers --------------------------------------------------------------------------

    list_handlers = Route(calls.list_handlers)
    get_handler = Route(calls.get_handler)
    upload_handler = Route(calls.upload_handler)
    make_current = Route(calls.make_current)
    delete_handler = Route(calls.delete_handler)

    # -- events ----------------------------------------------------------------------------

    query_events = Route(calls.query_events)
    get_event = Route(calls.get_event)

    # -- health and metrics ----------------------------------------------------------------

    health = Route(calls.health)
    metrics = Route(calls.metrics)

    # -- scripts ---------------------------------------------------------------------------

    list_scripts = Route(script_calls.list_scripts)
    create_script = Route(script_calls.create_script)
    get_script = Route(script_calls.get_script)
    update_script = Route(script_calls.update_script)
    delete_script = Route(script_calls.delete_script)
    list_script_versions = Route(script_calls.list_script_versions)
    get_script_version = Route(script_calls.get_script_version)
    rollback_script = Route(script_calls.rollback_script)
    execute_script = Route(script_calls.execute_script)
    list_executions = Route(script_calls.list_executions)
    get_execution = Route(script_calls.get_execution)
    list_dead_letters = Route(script_calls.list_dead_letters)
    get_dead_letter = Route(script_calls.get_dead_letter)
    retry_dead_letter = Route(script_calls.retry_dead_letter)
    discard_dead_letter = Route(script_calls.discard_dead_letter)
