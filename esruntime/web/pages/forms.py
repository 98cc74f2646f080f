"""The script form: its CamelCase fields, read from a urlencoded body into the service's
fields, and the service's problems mapped back onto the fields that caused them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from attrs import field, frozen

from esruntime.scripts.models import Script
from esruntime.web.errors import WebError

__all__ = ["FIELD_NAMES", "FormData", "ScriptForm", "parse_form"]

MAX_FIELDS = 200
FORM_TYPE = "application/x-www-form-urlencoded"

FIELD_NAMES: Mapping[str, str] = {
    "name": "Name",
    "description": "Description",
    "source": "Source",
    "type": "Type",
    "status": "Status",
    "cron_expression": "CronExpression",
    "http_path": "HTTPPath",
    "http_methods": "HTTPMethods",
    "event_types": "EventTypes",
    "max_execution_time_ms": "MaxExecutionTimeMs",
    "max_memory_bytes": "MaxMemoryBytes",
}
"""The service's field (or limit) name → the form's field name."""

_LIMITS = ("max_execution_time_ms", "max_memory_bytes")
_SPLIT = re.compile(r"[\s,]+")


@frozen
class FormData:
    """A parsed urlencoded body: every value of every field, in order."""

    pairs: tuple[tuple[str, str], ...]

    def get(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.pairs if k == name), default)

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]


def parse_form(content_type: str | None, body: bytes, limit: int) -> FormData:
    """The fields of a form body; 415 for another content type, 413 beyond ``limit``, 400
    for a body that is not UTF-8 or has too many fields."""
    if len(body) > limit:
        raise WebError(413, "body_too_large", f"The form exceeds the limit of {limit:,} bytes")
    if not body:
        return FormData(())
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind != FORM_TYPE:
        raise WebError(415, "unsupported_media_type", f"Send the form as {FORM_TYPE}")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise WebError(400, "invalid_form", "The form is not valid UTF-8 form data") from None
    return FormData(tuple(pairs))


@frozen
class ScriptForm:
    """The form's values as the person typed them, and the problems to show on each field
    (``_form`` for those of no field)."""

    values: Mapping[str, Any]
    errors: Mapping[str, str] = field(factory=dict)

    @classmethod
    def blank(cls) -> ScriptForm:
        return cls(
            {
                "Name": "",
                "Description": "",
                "Source": "export default async function () {\n  return { ok: true };\n}\n",
                "Type": "oneoff",
                "Status": "draft",
                "CronExpression": "",
                "HTTPPath": "",
                "HTTPMethods": ["POST"],
                "EventTypes": "",
                "MaxExecutionTimeMs": "30000",
                "MaxMemoryBytes": str(64 * 2**20),
            }
        )

    @classmethod
    def of(cls, script: Script) -> ScriptForm:
        return cls(
            {
                "Name": script.name,
                "Description": script.description,
                "Source": script.source,
                "Type": script.type,
                "Status": script.status,
                "CronExpression": script.cron_expression or "",
                "HTTPPath": script.http_path or "",
                "HTTPMethods": list(script.http_methods),
                "EventTypes": "\n".join(script.event_types),
                "MaxExecutionTimeMs": str(script.limits.max_execution_time_ms),
                "MaxMemoryBytes": str(script.limits.max_memory_bytes),
            }
        )

    @classmethod
    def read(cls, form: FormData) -> ScriptForm:
        values: dict[str, Any] = {
            name: form.get(name) for name in FIELD_NAMES.values() if name != "HTTPMethods"
        }
        values["HTTPMethods"] = [m for m in form.getlist("HTTPMethods") if m]
        return cls(values)

    def fields(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The service's fields, and problems found before the service sees them."""
        v = self.values
        problems: dict[str, str] = {}
        limits: dict[str, int] = {}
        for name in _LIMITS:
            text = str(v[FIELD_NAMES[name]]).strip()
            if not text:
                continue
            if not re.fullmatch(r"[0-9]{1,12}", text):
                problems[FIELD_NAMES[name]] = "must be a whole number"
            else:
                limits[name] = int(text)
        methods: Sequence[str] = []
        for given in v["HTTPMethods"]:
            methods = [*methods, *(m.upper() for m in _SPLIT.split(given) if m)]
        return {
            "name": v["Name"],
            "description": v["Description"],
            "source": v["Source"],
            "type": v["Type"] or None,
            "status": v["Status"] or "draft",
            "cron_expression": v["CronExpression"] or None,
            "http_path": v["HTTPPath"] or None,
            "http_methods": tuple(dict.fromkeys(methods)),
            "event_types": tuple(e for e in _SPLIT.split(v["EventTypes"]) if e),
            "limits": limits,
        }, problems

    def with_errors(self, problems: Mapping[str, str]) -> ScriptForm:
        """This form with the service's problems (keyed by its field names) on its fields."""
        errors = dict(self.errors)
        for name, message in problems.items():
            target = FIELD_NAMES.get(name, name if name in FIELD_NAMES.values() else "_form")
            text = message if target != "_form" else f"{name}: {message}"
            errors[target] = f"{errors[target]}; {text}" if target in errors else text
        return ScriptForm(self.values, errors)
