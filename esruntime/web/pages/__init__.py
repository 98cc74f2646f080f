"""The HTMX pages of the script runtime (``docs/pages.md``): list, editor, details, runs.

:class:`ScriptPages` answers framework-neutral requests under a prefix (``/scripts``); the
FastAPI and Flask adapters mount it and only translate.
"""

from esruntime.web.pages.app import ScriptPages
from esruntime.web.pages.config import PagesConfig
from esruntime.web.pages.routes import PAGE_ROUTES, PageRoute

__all__ = ["PAGE_ROUTES", "PageRoute", "PagesConfig", "ScriptPages"]
