"""The pages of scripts: the list, the new and edit forms, a script's details, delete."""

from __future__ import annotations

from typing import Any

from esruntime.errors import ScriptConflictError, ScriptValidationError
from esruntime.scripts.models import (
    HTTP_METHODS,
    SCRIPT_ORDERS,
    SCRIPT_STATUSES,
    SCRIPT_TYPES,
    Script,
)
from esruntime.scripts.validation import check_fields
from esruntime.web.messages import WebResponse
from esruntime.web.pages.context import PageCall, redirect
from esruntime.web.pages.dead_letters import dead_letters_of
from esruntime.web.pages.executions import history
from esruntime.web.pages.forms import ScriptForm

__all__ = [
    "create_script",
    "delete_script",
    "edit_script",
    "list_scripts",
    "new_script",
    "show_script",
    "update_script",
]

RECENT_EXECUTIONS = 20
NEXT_RUNS = 5


def list_scripts(call: PageCall) -> WebResponse:
    """``GET /scripts``: the table, searched, filtered, sorted and paged by the query."""
    filters = {
        "q": call.query("q")[:200],
        "type": call.query("type"),
        "status": call.query("status"),
        "sort": call.query("sort") or "name",
        "page": call.query("page") or "1",
    }
    problems: dict[str, str] = {}
    page_number = int(filters["page"]) if filters["page"].isdigit() else 0
    if not 1 <= page_number <= 1_000_000:
        problems["page"] = "must be a page number"
        page_number = 1
    try:
        found = call.pages.service.list(
            tenant=call.tenant,
            search=filters["q"] or None,
            type=filters["type"] or None,  # type: ignore[arg-type]
            status=filters["status"] or None,  # type: ignore[arg-type]
            order=filters["sort"],  # type: ignore[arg-type]
            page=page_number,
            per_page=call.pages.config.per_page,
        )
    except ScriptValidationError as exc:
        problems.update(exc.errors)
        found = None
    return call.render(
        "list.html",
        400 if problems else 200,
        result=found,
        filters=filters,
        problems=problems,
        types=SCRIPT_TYPES,
        statuses=SCRIPT_STATUSES,
        orders=SCRIPT_ORDERS,
    )


def new_script(call: PageCall) -> WebResponse:
    """``GET /scripts/new``: the empty form."""
    return _form_page(call, ScriptForm.blank(), None)


def create_script(call: PageCall) -> WebResponse:
    """``POST /scripts``: a new script, then its page; 400/409 show the form again."""
    form = ScriptForm.read(call.form)
    fields, problems = _checked(form)
    if problems:
        return _form_page(call, form.with_errors(problems), None, 400)
    try:
        script = call.pages.service.create(tenant=call.tenant, created_by=_who(call), **fields)
    except ScriptValidationError as exc:
        return _form_page(call, form.with_errors(exc.errors), None, 400)
    except ScriptConflictError as exc:
        return _form_page(call, form.with_errors(exc.errors), None, 409)
    return redirect(call.url(f"/{script.id}"))


def show_script(call: PageCall) -> WebResponse:
    """``GET /scripts/:id``: details, trigger and its next runs, versions, the latest
    executions, and an event script's dead letters."""
    service = call.pages.service
    script = service.get(call.params["id"], tenant=call.tenant)
    executions = service.executions(script.id, tenant=call.tenant, limit=RECENT_EXECUTIONS)
    return call.render(
        "detail.html",
        script=script,
        next_runs=service.next_runs(script.id, NEXT_RUNS, tenant=call.tenant),
        dead_letters=dead_letters_of(call, script),
        outcome=None,
        versions=list(reversed(service.versions(script.id, tenant=call.tenant))),
        executions=executions,
        **history(script, executions.items),
    )


def edit_script(call: PageCall) -> WebResponse:
    """``GET /scripts/:id/edit``: the form filled with the script."""
    script = call.pages.service.get(call.params["id"], tenant=call.tenant)
    return _form_page(call, ScriptForm.of(script), script)


def update_script(call: PageCall) -> WebResponse:
    """``PUT /scripts/:id``: the changed script (a new version for a new source), then its
    page; 400/409 show the form again."""
    service = call.pages.service
    script = service.get(call.params["id"], tenant=call.tenant)
    form = ScriptForm.read(call.form)
    fields, problems = _checked(form)
    if problems:
        return _form_page(call, form.with_errors(problems), script, 400)
    try:
        service.update(script.id, tenant=call.tenant, updated_by=_who(call), **fields)
    except ScriptValidationError as exc:
        return _form_page(call, form.with_errors(exc.errors), script, 400)
    except ScriptConflictError as exc:
        return _form_page(call, form.with_errors(exc.errors), script, 409)
    return redirect(call.url(f"/{script.id}"), htmx=call.htmx)


def delete_script(call: PageCall) -> WebResponse:
    """``DELETE /scripts/:id``: an empty fragment for htmx (its row goes), else back to
    the list."""
    call.pages.service.delete(call.params["id"], tenant=call.tenant)
    if call.htmx:
        return WebResponse(200, b"", "text/html; charset=utf-8")
    return redirect(call.url())


def _form_page(
    call: PageCall, form: ScriptForm, script: Script | None, status: int = 200
) -> WebResponse:
    return call.render(
        "form.html",
        status,
        form=form,
        script=script,
        types=SCRIPT_TYPES,
        statuses=SCRIPT_STATUSES,
        methods=HTTP_METHODS,
    )


def _checked(form: ScriptForm) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's fields and every problem of the form at once: the form's own (a limit
    that is not a number) and the service's rules for the rest."""
    fields, problems = form.fields()
    if problems:
        problems = {**check_fields(fields)[1], **problems}
    return fields, problems


def _who(call: PageCall) -> str | None:
    principal: Any = call.principal
    return (principal.name or principal.key_id or None) if principal is not None else None
