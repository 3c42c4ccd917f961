"""HTTP helpers with no domain in them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
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
