"""The script pages in a FastAPI application.

::

    app = FastAPI()
    install(app, runtime)                  # the JSON API under /v1
    install_pages(app, runtime)            # the pages under /scripts

``principal``: a FastAPI dependency returning the request's :class:`~esruntime.auth.Principal`
(or None) when the host signs its users in itself; the pages' own login is then off unless
``config`` says otherwise. Everything else happens in :class:`esruntime.web.pages.ScriptPages`;
this module only translates requests and responses.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoint's annotations.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from esruntime.auth.resolver import PrincipalResolver
from esruntime.runtime import Runtime
from esruntime.web import RESOLVE, WebRequest
from esruntime.web.messages import WebResponse
from esruntime.web.pages import PagesConfig, ScriptPages

from . import _read_body

__all__ = ["create_pages_router", "install_pages"]

_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"]


def _nobody() -> None:
    return None


def _response(result: WebResponse) -> Response:
    """The response, every header kept (a page may set several cookies)."""
    response = Response(result.body, status_code=result.status, media_type=result.content_type)
    for name, value in result.headers:
        response.headers.append(name, value)
    return response


def create_pages_router(
    runtime: Runtime,
    config: PagesConfig | None = None,
    *,
    principal: Callable[..., Any] | None = None,
    resolver: PrincipalResolver | None = None,
) -> APIRouter:
    """An ``APIRouter`` serving the pages at ``config.prefix`` (include it without a prefix)."""
    if config is None:
        config = PagesConfig(login=principal is None)
    pages = ScriptPages(runtime, config, resolver=resolver)
    router = APIRouter(include_in_schema=False)
    dependency = principal or _nobody

    async def endpoint(request: Request, who: Annotated[Any, Depends(dependency)]) -> Response:
        body, oversized = await _read_body(request, config.max_form_bytes)
        path = request.url.path[len(config.prefix) :]
        web_request = WebRequest(
            request.method,
            "pages",
            path,
            {},
            tuple(request.query_params.multi_items()),
            request.headers.items(),
            body,
            oversized,
        )
        given = who if principal is not None else RESOLVE
        return _response(await run_in_threadpool(pages.handle, web_request, given))

    for path in (config.prefix, config.prefix + "/{path:path}"):
        router.add_api_route(path, endpoint, methods=_METHODS, response_class=Response)
    router.esruntime_pages = pages  # type: ignore[attr-defined]
    return router


def install_pages(
    app: FastAPI,
    runtime: Runtime,
    config: PagesConfig | None = None,
    **options: Any,
) -> ScriptPages:
    """Mount the pages on ``app``; ``options`` go to :func:`create_pages_router`. The pages
    finish their running scripts when the application shuts down."""
    router = create_pages_router(runtime, config, **options)
    app.include_router(router)
    pages: ScriptPages = router.esruntime_pages  # type: ignore[attr-defined]
    app.router.on_shutdown.append(pages.close)
    return pages
