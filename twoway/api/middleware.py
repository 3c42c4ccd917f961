"""Problem details for what answers before any API operation runs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PREFIX = "/api/v1/"
PROBLEM = "application/problem+json"


class ApiProblemMiddleware:
    """Under /api/v1/, an unknown path (Django's 404 page) or a method the path does not have
    (ninja's plain-text 405) is answered as RFC 9457 problem details like every other error, so
    a client parses one shape of error; the 405 keeps its Allow header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith(PREFIX)
            or response.status_code not in (404, 405)
            or response.get("Content-Type", "").startswith((PROBLEM, "application/json"))
        ):
            return response
        from twoway.api.core import TITLES, problem

        status = response.status_code
        detail = (
            "No such operation; the operations are listed at /api/v1/docs."
            if status == 404
            else f"This path answers {response.get('Allow', '')} only."
        )
        answer = problem(request, status, TITLES[status], detail)
        if response.has_header("Allow"):
            answer["Allow"] = response["Allow"]
        return answer
