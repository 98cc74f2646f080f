"""The esruntime API in a FastAPI application (``pip install 'esruntime[fastapi]'``).

::

    app = FastAPI()
    install(app, runtime)                         # the JSON API under /v1

    # or, with the host's own prefix and dependencies:
    app.include_router(create_router(runtime), prefix="/api/events", dependencies=[...])

    app = create_app(runtime)                     # a whole application (what ``serve`` runs)

    # HTTP-triggered scripts: ``install`` mounts them under /hooks (hooks_prefix=None: not);
    app.include_router(create_hooks_router(runtime), prefix="/hooks")   # or by hand

:func:`install` also runs the runtime's background workers (the script triggers) for as long
as the application's lifespan lasts: ``runtime.start()`` at startup, ``runtime.stop()`` at
shutdown (``start_workers=False`` leaves that to the host).

Authentication is the runtime's principal resolver (API keys) unless ``principal`` is given: a
FastAPI dependency returning the request's :class:`~esruntime.auth.Principal` (or None for an
anonymous request). Everything else happens in :class:`esruntime.web.JsonApi`; this module only
translates requests and responses.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations, which
# name a dependency chosen at run time.
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

try:
    from fastapi import APIRouter, Depends, FastAPI, Request, Response
    from fastapi.params import Depends as DependsParam
    from fastapi.security import HTTPBearer
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "esruntime.contrib.fastapi needs FastAPI: pip install 'esruntime[fastapi]'"
    ) from exc

from esruntime import __version__
from esruntime.auth.resolver import PrincipalResolver
from esruntime.contrib.fastapi.direct import DirectApi
from esruntime.contrib.fastapi.threads import DEFAULT_THREADS, ApiThreads
from esruntime.runtime import Runtime
from esruntime.web import RESOLVE, JsonApi, Limits, Route, WebRequest, WebResponse
from esruntime.web.hooks import DEFAULT_HOOKS_PREFIX, Hooks
from esruntime.web.messages import METHODS, BodyReader
from esruntime.web.openapi import operation

__all__ = ["create_app", "create_hooks_router", "create_router", "install"]

TELEMETRY_RECHECK = 1.0
"""Seconds between two looks at whether FastAPI's OpenTelemetry is on (:class:`_Application`):
a provider configured while serving observes the API's requests from at most this long after."""

_bearer = HTTPBearer(auto_error=False, description="An esruntime API key")


def create_router(
    runtime: Runtime,
    *,
    principal: Callable[..., Any] | None = None,
    resolver: PrincipalResolver | None = None,
    limits: Limits | None = None,
    dependencies: Sequence[DependsParam] | None = None,
    tags: Sequence[str] = ("esruntime",),
    catch_all: bool = False,
    threads: int = DEFAULT_THREADS,
) -> APIRouter:
    """An ``APIRouter`` with every route of the JSON API, to include under any prefix.

    ``principal``: a FastAPI dependency that returns the request's principal (replaces the
    resolver). ``resolver``: a framework-neutral resolver (default: the runtime's).
    ``catch_all``: answer unknown paths and methods below the router with the API's own error
    body (404 / 405); only for a router that owns its prefix. ``threads``: how many threads
    run the API's calls (:mod:`esruntime.contrib.fastapi.threads`).
    """
    api = JsonApi(runtime, resolver=resolver, limits=limits)
    router = APIRouter(dependencies=list(dependencies or ()), tags=list(tags))
    pool = ApiThreads(threads)
    for route in api.routes:
        _add_route(router, api, route, principal, pool)
    if catch_all:

        async def unmatched(request: Request) -> Response:
            path = "/" + request.path_params["path"]
            return _response(api.unmatched(request.method, path, request.headers.items()))

        router.add_api_route(
            "/{path:path}", unmatched, methods=list(METHODS), include_in_schema=False
        )
    router.esruntime_api = api  # type: ignore[attr-defined]
    router.esruntime_threads = pool  # type: ignore[attr-defined]
    return router


def _add_route(
    router: APIRouter,
    api: JsonApi,
    route: Route,
    principal: Callable[..., Any] | None,
    pool: ApiThreads,
) -> None:
    limit = api.body_limit(route.name)
    run: Callable[..., Awaitable[WebResponse]] = run_in_threadpool if route.slow else pool.run
    if route.permission is None:
        dependency: Callable[..., Any] = _nobody
    elif principal is not None:
        dependency = principal
    else:
        dependency = _bearer  # documents the scheme; the API reads the header itself

    async def endpoint(request: Request, who: Annotated[Any, Depends(dependency)]) -> Response:
        body, oversized = await _read_body(request, limit)
        web_request = WebRequest(
            request.method,
            route.name,
            request.url.path,
            dict(request.path_params),
            tuple(request.query_params.multi_items()),
            request.headers.items(),
            body,
            oversized,
        )
        given = who if principal is not None and route.permission is not None else RESOLVE
        if not api.blocks(web_request):  # answered on the event loop: no thread to wait for
            return _response(api.handle(web_request, given))
        return _response(await run(api.handle, web_request, given))

    fragment = operation(route.name)
    responses = fragment.pop("responses")
    router.add_api_route(
        route.path,
        endpoint,
        methods=[route.method],
        name=f"esruntime.{route.name}",
        operation_id=route.name,
        summary=route.summary,
        status_code=min(int(status) for status in responses if status.startswith("2")),
        response_class=Response,
        responses=responses,
        openapi_extra=fragment,
    )


async def _nobody() -> None:  # async: FastAPI would run a plain function in a thread
    return None


async def _read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    reader = BodyReader(limit, request.headers.get("content-length"))
    if reader.wanted:
        async for chunk in request.stream():
            if not reader.take(chunk):
                break
    return reader.body()


def _response(result: WebResponse) -> Response:
    return Response(
        result.body,
        status_code=result.status,
        headers=dict(result.headers),
        media_type=result.content_type,
    )


def create_hooks_router(
    runtime: Runtime,
    *,
    principal: Callable[..., Any] | None = None,
    resolver: PrincipalResolver | None = None,
    hooks: Hooks | None = None,
) -> APIRouter:
    """An ``APIRouter`` running ``http`` scripts (:class:`esruntime.web.hooks.Hooks`): every
    path below the prefix it is included under is a script's ``http_path``.

    ``principal`` and ``resolver`` are as for :func:`create_router`; ``hooks`` one of your own
    (its body limit, anonymous tenant and rate limiter).
    """
    hooks = hooks or Hooks(runtime, resolver=resolver)
    dependency: Callable[..., Any] = principal if principal is not None else _nobody

    async def run_hook(
        request: Request, path: str, who: Annotated[Any, Depends(dependency)]
    ) -> Response:
        try:
            body, oversized = await _read_body(request, hooks.max_body_bytes)
        except ClientDisconnect:  # the caller left before its body arrived: nothing to run
            return Response(status_code=400)
        web_request = WebRequest(
            request.method,
            "hook",
            request.url.path,
            {"path": "/" + path},
            tuple(request.query_params.multi_items()),
            request.headers.items(),
            body,
            oversized,
        )
        given = who if principal is not None else RESOLVE
        return _response(await run_in_threadpool(hooks.handle, web_request, given))

    router = APIRouter()
    router.add_api_route(
        "/{path:path}",
        run_hook,
        methods=list(METHODS),
        include_in_schema=False,
        name="esruntime.hook",
    )
    router.esruntime_hooks = hooks  # type: ignore[attr-defined]
    return router


def install(
    app: FastAPI,
    runtime: Runtime,
    *,
    prefix: str = "/v1",
    hooks_prefix: str | None = DEFAULT_HOOKS_PREFIX,
    start_workers: bool = True,
    **options: Any,
) -> APIRouter:
    """Mount the JSON API on ``app`` under ``prefix``; ``options`` go to :func:`create_router`.

    The router answers unknown paths under a non-empty prefix itself; the runtime is kept in
    ``app.state.esruntime``. ``http`` scripts answer under ``hooks_prefix`` (None: nowhere),
    with the same ``principal`` or ``resolver``; ``hooks=`` is a
    :class:`~esruntime.web.hooks.Hooks` of your own (its limits). With ``start_workers``, the
    app's lifespan starts and stops the runtime's background workers (the script triggers).
    """
    hooks = options.pop("hooks", None)
    options.setdefault("catch_all", bool(prefix.strip("/")))
    router = create_router(runtime, **options)
    app.include_router(router, prefix=prefix)
    if hooks_prefix is not None:
        auth = {k: v for k, v in options.items() if k in ("principal", "resolver")}
        hooks_router = create_hooks_router(runtime, hooks=hooks, **auth)
        app.include_router(hooks_router, prefix=hooks_prefix.rstrip("/"))
    app.state.esruntime = runtime
    if start_workers:
        _run_workers(app, runtime)
    return router


def _run_workers(app: FastAPI, runtime: Runtime) -> None:
    """Wrap the app's lifespan: the workers run while it does (around the host's own)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        await run_in_threadpool(runtime.start)
        try:
            async with inner(app_) as state:
                yield state
        finally:
            await run_in_threadpool(runtime.stop)

    app.router.lifespan_context = lifespan


def create_app(
    runtime: Runtime,
    *,
    prefix: str = "/v1",
    hooks_prefix: str | None = DEFAULT_HOOKS_PREFIX,
    **options: Any,
) -> FastAPI:
    """A FastAPI application serving the runtime's JSON API under ``prefix`` and its ``http``
    scripts under ``hooks_prefix``.

    With the API's own authentication (no ``principal``) and no router ``dependencies``, the
    API's requests are answered around FastAPI's request handling while the host adds no
    middleware, dependency overrides or ``root_path`` and FastAPI's OpenTelemetry is off
    (:mod:`esruntime.contrib.fastapi.direct`): the same answers, for less CPU.
    """
    app = _Application(
        title="esruntime",
        version=__version__,
        description="An event-sourcing command runtime: commands, schemas, handlers, events.",
    )
    direct = options.get("principal") is None and not options.get("dependencies")
    router = install(app, runtime, prefix=prefix, hooks_prefix=hooks_prefix, **options)
    if direct:
        api: JsonApi = router.esruntime_api  # type: ignore[attr-defined]
        app.direct = DirectApi(api, router.esruntime_threads, prefix)  # type: ignore[attr-defined]
    return app


class _Application(FastAPI):
    """FastAPI, with the API's requests answered by :class:`DirectApi` when nothing of the
    host's own would see them."""

    direct: DirectApi | None = None
    _otel_checked = -TELEMETRY_RECHECK
    _otel_on = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        direct = self.direct
        if (
            direct is not None
            and scope["type"] == "http"
            and not self.user_middleware
            and not self.dependency_overrides
            and not self.root_path
            and not self._otel_observes()
        ):
            found = direct.match(scope)
            if found is not None:
                await direct.serve(found, scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def _otel_observes(self) -> bool:
        """Whether FastAPI's own OpenTelemetry observes requests (FastAPI 0.16x), looked at
        once a second: OpenTelemetry's lookup of its providers reads the environment every
        time, a tenth of a request's time on the event loop."""
        now = time.monotonic()
        if now - self._otel_checked >= TELEMETRY_RECHECK:
            telemetry = getattr(self, "_native_telemetry", None)
            self._otel_on = telemetry is not None and bool(telemetry.enabled())
            self._otel_checked = now
        return self._otel_on
