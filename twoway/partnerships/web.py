"""Small helpers shared by the views of the partnership space (partnerships, goals, meetings,
feedback, support): who is asking, which partnership, and rendering in the viewer's time zone."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from twoway.accounts.access import OrgRequest
from twoway.people.access import me
from twoway.people.models import Person
from twoway.programs.models import Partnership
from twoway.programs.selectors import access_partnership, partners_of

__all__ = ["apply_errors", "me", "members", "render_tz", "space", "space_context", "tz_of"]


def space(request: OrgRequest, partnership_id: int) -> tuple[Partnership, Person]:
    """The partnership (404 unless the signed-in person is one of its members) and that person."""
    person = me(request)
    partnership = access_partnership(org=request.org, person=person, partnership_id=partnership_id)
    return partnership, person


def members(partnership: Partnership) -> list[Person]:
    return [m.person for m in partnership.members.all()]


def tz_of(person: Person) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(person.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def render_tz(
    request: OrgRequest,
    person: Person,
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


def space_context(partnership: Partnership, person: Person) -> dict[str, Any]:
    return {
        "partnership": partnership,
        "partners": partners_of(partnership, person),
        "members": members(partnership),
    }


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)
