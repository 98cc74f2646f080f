"""One client method per route, written once for both clients: :class:`Route`.

A route's builder (:mod:`esruntime.client.calls`) has the method's signature and docstring and
makes the :class:`~esruntime.client.protocol.Call`; ``Client`` and ``AsyncClient`` each name
the route in one line (``get_schema = Route(calls.get_schema)``), and the method sends the call
through the client's ``_call``: returning the answer in ``Client``, a coroutine in
``AsyncClient``. Type checkers see the builder's parameters and the matching return type.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Self, TypeVar, overload

from esruntime.client.protocol import Call

if TYPE_CHECKING:
    from esruntime.client.asynchronous import AsyncClient
    from esruntime.client.sync import Client

__all__ = ["Route"]

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
