"""HTTP helpers with no domain in them."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotFound,
    QueryDict,
)
from django.utils.cache import add_never_cache_headers


class PrivateCacheMiddleware:
    """Pages for a signed-in person are theirs alone (private notes, pulse answers, feedback):
    no browser back-button cache, shared proxy or disk cache may keep a copy. Responses that
    chose their own caching (the calendar feed, static files) keep it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


NUL_REFUSED = "The address or the form contains a NUL character (\\0), which no text here may hold."


class RefuseNulMiddleware:
    """A NUL character is never valid text in Twoway, and PostgreSQL refuses it in any query
    (a 500 wherever a raw value reaches a lookup: a search box, a feed token, a hidden field).
    Refused here once, for the path, the query string and url-encoded form values alike,
    before any view reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Multipart bodies are left to the forms (Django's CharField refuses NUL): parsing them
        # here would consume the stream that a view reading request.body (Slack's signature
        # check) still needs, and upload sizes are the upload handlers' business.
        form_body = request.content_type == "application/x-www-form-urlencoded"
        if "\x00" in request.path:
            # An address with a NUL names nothing: a 404, like any other malformed token.
            return HttpResponseNotFound("Not found.", content_type="text/plain; charset=utf-8")
        if _has_nul(request.GET) or (form_body and _has_nul(request.POST)):
            if request.path.startswith("/api/"):
                # The API answers every error as an RFC 9457 problem, this one too.
                body = {
                    "type": "about:blank",
                    "title": "Bad request",
                    "status": 400,
                    "detail": NUL_REFUSED,
                    "instance": request.path,
                }
                return HttpResponseBadRequest(
                    json.dumps(body), content_type="application/problem+json"
                )
            return HttpResponseBadRequest(NUL_REFUSED, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(values: QueryDict) -> bool:
    return any(
        "\x00" in key or any("\x00" in str(v) for v in found) for key, found in values.lists()
    )
