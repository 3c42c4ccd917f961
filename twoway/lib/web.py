"""Small helpers for views of every app: time zones and form errors."""

from __future__ import annotations

import zoneinfo
from typing import Any, Protocol

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class HasTimeZone(Protocol):
    time_zone: str


def tz_of(person: HasTimeZone) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(person.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def render_tz(
    request: HttpRequest,
    person: HasTimeZone,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """Render with dates shown in the viewer's own time zone."""
    with timezone.override(tz_of(person)):
        return render(
            request,
            template,
            {"me": person, "viewer_tz": person.time_zone, **context},
            status=status,
        )


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class TextareaField(forms.CharField):
    """A CharField for a textarea whose length counts a line break once.

    Browsers submit line breaks as CRLF but count them as one character against `maxlength`;
    Django would count two, so text the browser accepted could be refused by the server.
    Normalising to LF first makes both limits the same."""

    widget = forms.Textarea

    def to_python(self, value: Any) -> str:
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return str(super().to_python(value))


def posted_id(request: HttpRequest, name: str) -> int:
    """The id a form posted under `name` (a hidden field or a button value). Anything that is
    not a positive whole number is a 400 with the field named, instead of the ValueError a
    lookup like `pk="abc"` raises deep in the ORM."""
    raw = request.POST.get(name, "").strip()
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise BadRequest(f"“{name}” must be the number of an item on the page.")
    return int(raw)
