"""The web's one mapping of domain errors: the same classes an API maps to JSON."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from twoway.core.middleware import DomainErrorMiddleware
from twoway.lib.errors import (
    Conflict,
    DomainError,
    Invalid,
    InvalidInput,
    NotAllowed,
    NotFound,
)
from twoway.meetings.services import CheckinError
from twoway.programs.services import PartnershipClosed, ProgramError


def middleware() -> DomainErrorMiddleware:
    return DomainErrorMiddleware(lambda request: HttpResponse())


def request() -> HttpRequest:
    return RequestFactory().get("/o/acme/somewhere/")


def test_it_turns_not_found_into_django_404() -> None:
    with pytest.raises(Http404):
        middleware().process_exception(request(), NotFound("no such partnership"))


def test_it_turns_not_allowed_into_403_with_its_message() -> None:
    with pytest.raises(PermissionDenied, match="Only its author"):
        middleware().process_exception(request(), NotAllowed("Only its author may read it."))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Invalid("Names are one line."), 400),
        (ProgramError("This program does not take requests right now."), 400),
        (Conflict("Already answered."), 409),
        (PartnershipClosed("This partnership has already ended."), 409),
        (CheckinError("This check-in has not started yet."), 400),
        (InvalidInput({"title": "A goal needs a name."}), 400),
    ],
)
def test_it_shows_other_domain_errors_with_their_message(error: DomainError, status: int) -> None:
    response = middleware().process_exception(request(), error)
    assert response is not None
    assert response.status_code == status
    message = error.messages[0] if isinstance(error, ValidationError) else str(error)
    assert message in response.content.decode()


def test_it_leaves_other_exceptions_alone() -> None:
    assert middleware().process_exception(request(), ValueError("boom")) is None


def test_a_field_error_is_also_a_validation_error_for_forms() -> None:
    error = InvalidInput({"title": "A goal needs a name."})
    assert isinstance(error, ValidationError) and isinstance(error, DomainError)
    assert error.message_dict == {"title": ["A goal needs a name."]}
