"""The script pages in a Flask application.

::

    Esruntime(app, runtime)                # the JSON API under /v1
    EsruntimePages(app, runtime)           # the pages under /scripts

A host that signs its users in itself sets ``flask.g.esruntime_principal`` in a
``before_request`` hook (a :class:`~esruntime.auth.Principal`, or None) and passes
``PagesConfig(login=False)``. Everything else happens in
:class:`esruntime.web.pages.ScriptPages`; this class only translates.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, request
from flask import Response as FlaskResponse

from esruntime.auth.resolver import PrincipalResolver
from esruntime.errors import ConfigurationError
from esruntime.runtime import Runtime
from esruntime.web import RESOLVE, WebRequest
from esruntime.web.pages import PagesConfig, ScriptPages

from . import _response

__all__ = ["EsruntimePages"]

_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"]


class EsruntimePages:
    """The Flask extension of the pages: a blueprint at ``config.prefix``."""

    def __init__(
        self,
        app: Flask | None = None,
        runtime: Runtime | None = None,
        config: PagesConfig | None = None,
        *,
        resolver: PrincipalResolver | None = None,
        name: str = "esruntime_pages",
    ) -> None:
        self.runtime = runtime
        self.config = config or PagesConfig()
        self.resolver = resolver
        self.name = name
        self.pages: ScriptPages | None = None
        if app is not None and runtime is not None:
            self.init_app(app, runtime)

    def init_app(self, app: Flask, runtime: Runtime | None = None) -> None:
        runtime = runtime or self.runtime
        if runtime is None:
            raise ConfigurationError("EsruntimePages needs a runtime: EsruntimePages(app, runtime)")
        pages = ScriptPages(runtime, self.config, resolver=self.resolver)
        self.pages = pages
        app.extensions[self.name] = pages
        blueprint = Blueprint(self.name, __name__)
        limit = self.config.max_form_bytes

        def view(path: str = "") -> FlaskResponse:
            body, oversized = _read(limit)
            web_request = WebRequest(
                request.method,
                "pages",
                "/" + path if path else "",
                {},
                tuple(request.args.items(multi=True)),
                request.headers.items(),
                body,
                oversized,
            )
            given = g.esruntime_principal if "esruntime_principal" in g else RESOLVE
            return _response(pages.handle(web_request, given))

        blueprint.add_url_rule("", "index", view, methods=_METHODS, provide_automatic_options=False)
        blueprint.add_url_rule(
            "/<path:path>", "page", view, methods=_METHODS, provide_automatic_options=False
        )
        app.register_blueprint(blueprint, url_prefix=self.config.prefix)


def _read(limit: int) -> tuple[bytes, bool]:
    declared = request.content_length
    if declared is not None and declared > limit:
        return b"", True
    data = request.stream.read(limit + 1)
    return (b"", True) if len(data) > limit else (data, False)
