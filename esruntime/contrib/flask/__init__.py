"""The esruntime API in a Flask application (``pip install 'esruntime[flask]'``).

::

    esruntime = Esruntime(app, runtime)          # the JSON API under /v1

    # or, with an application factory:
    esruntime = Esruntime(runtime=runtime, prefix="/api")
    def create_app():
        app = Flask(__name__)
        esruntime.init_app(app)
        return app

The state lives in ``app.extensions["esruntime"]``. Authentication is the runtime's principal
resolver (API keys) unless a ``before_request`` hook of the host sets
``flask.g.esruntime_principal`` (a :class:`~esruntime.auth.Principal`, or None for an anonymous
request). Everything else happens in :class:`esruntime.web.JsonApi`; this module only
translates requests and responses.

The runtime's background workers (the script triggers) are not started by :meth:`init_app`:
it runs when the app is configured, often before a pre-forking server (gunicorn ``--preload``,
uWSGI) forks its workers, and threads started then do not exist in them. Call
``runtime.start()`` in the process that serves (for example in gunicorn's ``post_fork`` hook,
or next to ``app.run()``), and ``runtime.close()`` when it ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

try:
    from flask import Blueprint, Flask, current_app, g, request
    from flask import Response as FlaskResponse
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "esruntime.contrib.flask needs Flask: pip install 'esruntime[flask]'"
    ) from exc

from attrs import frozen

from esruntime.auth.resolver import PrincipalResolver
from esruntime.errors import ConfigurationError
from esruntime.runtime import Runtime
from esruntime.web import API_ROUTES, RESOLVE, JsonApi, Limits, Route, WebRequest, WebResponse
from esruntime.web.hooks import DEFAULT_HOOKS_PREFIX, Hooks
from esruntime.web.messages import METHODS, BodyReader

__all__ = [
    "Esruntime",
    "EsruntimeState",
    "create_app",
    "create_blueprint",
    "create_hooks_blueprint",
]


@frozen
class EsruntimeState:
    """What ``app.extensions["esruntime"]`` holds: the runtime, its API and its HTTP-triggered
    scripts (None when not mounted)."""

    runtime: Runtime
    api: JsonApi
    hooks: Hooks | None = None


class Esruntime:
    """The Flask extension: mounts the JSON API's blueprint under ``prefix``.

    ``catch_all`` (default: when the prefix is not empty) answers unknown paths and methods
    under the prefix with the API's own error body. ``http`` scripts answer under
    ``hooks_prefix`` (None: nowhere); ``hooks`` is a :class:`~esruntime.web.hooks.Hooks` of
    your own (its body limit, anonymous tenant and rate limiter).
    """

    def __init__(
        self,
        app: Flask | None = None,
        runtime: Runtime | None = None,
        *,
        prefix: str = "/v1",
        resolver: PrincipalResolver | None = None,
        limits: Limits | None = None,
        catch_all: bool | None = None,
        hooks_prefix: str | None = DEFAULT_HOOKS_PREFIX,
        hooks: Hooks | None = None,
    ) -> None:
        self.runtime = runtime
        self.hooks_prefix = hooks_prefix
        self.hooks = hooks
        self.prefix = prefix
        self.resolver = resolver
        self.limits = limits
        self.catch_all = bool(prefix.strip("/")) if catch_all is None else catch_all
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, runtime: Runtime | None = None) -> None:
        runtime = runtime or self.runtime
        if runtime is None:
            raise ConfigurationError("Esruntime needs a runtime: Esruntime(app, runtime)")
        api = JsonApi(runtime, resolver=self.resolver, limits=self.limits)
        hooks = None
        if self.hooks_prefix is not None:
            hooks = self.hooks or Hooks(runtime, resolver=self.resolver)
        app.extensions["esruntime"] = EsruntimeState(runtime, api, hooks)
        app.register_blueprint(create_blueprint(catch_all=self.catch_all), url_prefix=self.prefix)
        if self.hooks_prefix is not None:
            app.register_blueprint(
                create_hooks_blueprint(), url_prefix=self.hooks_prefix.rstrip("/")
            )


def create_blueprint(
    *, name: str = "esruntime", routes: Iterable[Route] = API_ROUTES, catch_all: bool = False
) -> Blueprint:
    """A Blueprint with every route of the API. Its views serve the API of the application
    they run in (``app.extensions["esruntime"]``, set by :meth:`Esruntime.init_app`)."""
    blueprint = Blueprint(name, __name__)
    for route in routes:
        blueprint.add_url_rule(
            _flask_path(route.path),
            route.name,
            _view(route),
            methods=[route.method],
            provide_automatic_options=False,
        )
    if catch_all:

        def unmatched(path: str = "") -> FlaskResponse:
            return _response(_api().unmatched(request.method, "/" + path, request.headers.items()))

        for rule in ("/", "/<path:path>"):
            blueprint.add_url_rule(
                rule, "unmatched", unmatched, methods=list(METHODS), provide_automatic_options=False
            )
    return blueprint


def create_hooks_blueprint(*, name: str = "esruntime_hooks") -> Blueprint:
    """A Blueprint running ``http`` scripts: every path below its prefix is a script's
    ``http_path`` (the hooks of ``app.extensions["esruntime"]``)."""
    blueprint = Blueprint(name, __name__)

    def run_hook(path: str = "") -> FlaskResponse:
        state = current_app.extensions.get("esruntime")
        if not isinstance(state, EsruntimeState) or state.hooks is None:
            raise ConfigurationError(
                "esruntime hooks are not initialized on this app: Esruntime(app, runtime)"
            )
        body, oversized = _read_body(state.hooks.max_body_bytes)
        web_request = WebRequest(
            request.method,
            "hook",
            request.path,
            {"path": "/" + path},
            tuple(request.args.items(multi=True)),
            request.headers.items(),
            body,
            oversized,
        )
        given = g.esruntime_principal if "esruntime_principal" in g else RESOLVE
        return _response(state.hooks.handle(web_request, given))

    for rule in ("/", "/<path:path>"):
        blueprint.add_url_rule(
            rule, "hook", run_hook, methods=METHODS, provide_automatic_options=False
        )
    return blueprint


def _api() -> JsonApi:
    state = current_app.extensions.get("esruntime")
    if not isinstance(state, EsruntimeState):
        raise ConfigurationError(
            "esruntime is not initialized on this app: Esruntime(app, runtime)"
        )
    return state.api


def _flask_path(path: str) -> str:
    return path.replace("{", "<").replace("}", ">")


def _view(route: Route) -> Any:
    def view(**params: str) -> FlaskResponse:
        api = _api()
        if request.method != route.method:  # Werkzeug adds HEAD to every GET rule
            path = route.path.format_map(params)
            return _response(api.unmatched(request.method, path, request.headers.items()))
        body, oversized = _read_body(api.body_limit(route.name))
        web_request = WebRequest(
            request.method,
            route.name,
            request.path,
            params,
            tuple(request.args.items(multi=True)),
            request.headers.items(),
            body,
            oversized,
        )
        given = g.esruntime_principal if "esruntime_principal" in g else RESOLVE
        return _response(api.handle(web_request, given))

    return view


def _read_body(limit: int) -> tuple[bytes, bool]:
    reader = BodyReader(limit, request.headers.get("content-length"))
    while reader.wanted and reader.take(request.stream.read(reader.room)):
        pass
    return reader.body()


def _response(result: WebResponse) -> FlaskResponse:
    response = FlaskResponse(result.body, status=result.status, headers=list(result.headers))
    if result.content_type is not None:
        response.headers["Content-Type"] = result.content_type
    return response


def create_app(runtime: Runtime, *, prefix: str = "/v1", **options: Any) -> Flask:
    """A Flask application serving the runtime's JSON API under ``prefix``."""
    app = Flask("esruntime")
    Esruntime(app, runtime, prefix=prefix, **options)
    return app
