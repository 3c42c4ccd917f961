"""The errors services and access helpers raise, meant the same to every interface.

A service says what went wrong in words for the person who tried; the interface decides how to
show it. The web maps them in one place (`twoway.core.middleware.DomainErrorMiddleware`: a
`NotFound` is the 404 page, a `NotAllowed` the 403 page, anything else a 400 page with the
message) unless a view catches one to show it on its form; an API maps the same classes to JSON
with the same status codes. Every app's own error class derives from one of these (some also
from Django's ValidationError, so that forms can show them field by field).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """A rule stops this action; `str(error)` is for the person who tried, in their words."""

    status = 400


class Invalid(DomainError):
    """The input breaks a rule (a name with a line break, a date in the past)."""


class InvalidInput(Invalid, ValidationError):
    """Invalid input said field by field where it can be: `InvalidInput({"title": "…"})`.

    Also a Django ValidationError, so a form shows each message on its field (see
    `twoway.lib.web.apply_errors`) and an API can return the same fields."""


class Conflict(DomainError):
    """The input is fine but the state does not allow it now (already ended, already answered)."""

    status = 409


class NotAllowed(DomainError):
    """The person may see this object but not do this to it (their role, or it is not theirs)."""

    status = 403


class NotFound(DomainError):
    """No such object in this organization for this person.

    Another organization's object and an object one may not open are both "not found": saying
    "forbidden" would confirm it exists."""

    status = 404
