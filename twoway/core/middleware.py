"""The web's one mapping of domain errors to responses (an API maps the same classes to JSON)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from twoway.lib.errors import DomainError, NotAllowed, NotFound
from twoway.people.access import RecordMissing


def error_text(exc: DomainError) -> str:
    """The message for the person, whether the error is plain or also a ValidationError."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class DomainErrorMiddleware:
    """NotFound → the 404 page, NotAllowed → the 403 page, any other DomainError → a page with
    its message and its status (400 or 409). Views that show an error on a form or as a flash
    catch the error themselves; this is what reaches the top."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if isinstance(exception, NotFound):
            # Django's own 404 handling: the same page as a URL that does not exist.
            raise Http404 from exception
        if isinstance(exception, NotAllowed):
            raise PermissionDenied(error_text(exception)) from exception
        if isinstance(exception, RecordMissing):
            return render(
                request,
                "people/record_missing.html",
                {
                    "message": error_text(exception),
                    # Back to the page after set-up; a form's POST address would answer 405.
                    "next": request.get_full_path() if request.method == "GET" else "",
                },
                status=exception.status,
            )
        return render(
            request, "error.html", {"message": error_text(exception)}, status=exception.status
        )
