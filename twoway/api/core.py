"""The API object: key authentication with scopes, the rate limit, and RFC 9457 errors."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import StringConstraints

from twoway.api.keys import api_key_authenticate, api_rate_take
from twoway.api.models import ApiKey, Scope
from twoway.lib.errors import DomainError

PROBLEM = "application/problem+json"


class KeyRequest(HttpRequest):
    auth: ApiKey


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limit")
        self.retry_after = retry_after


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer twapi_…`: the key of one organization."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(f"Bearer {token}")
        if key is None:
            return None
        retry_after = api_rate_take(key)
        if retry_after is not None:
            raise RateLimited(retry_after)
        return key


class TwowayApi(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Errors are documented with the media type they are sent with (RFC 9457)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema["paths"].values():
            for operation in path.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        response["content"] = {PROBLEM: content["application/json"]}
        return schema


api = TwowayApi(
    title="Twoway API",
    version="1",
    description=(
        "Peer mentorship at work, for your HR systems. Every request carries an organization's "
        "API key (`Authorization: Bearer twapi_…`, made by an org admin under Settings → API "
        "keys) with the scopes the operation names. Errors are RFC 9457 problem details. "
        "Lists are paged with an opaque `cursor`."
    ),
    auth=ApiKeyAuth(),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def need(request: HttpRequest, scope: Scope, query: type[Schema] | None = None) -> ApiKey:
    """The request's key, if it holds `scope`; a 403 problem otherwise. Every operation starts
    here, before it reads or writes anything."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    # An unknown or repeated query parameter is a caller's bug (`?limt=10`, `?team=a&team=b`):
    # say so rather than quietly ignore it or use the last.
    known = set(query.model_fields) if query else set()
    unknown = sorted(name for name in request.GET if name not in known)
    if unknown:
        raise HttpError(422, f"Unknown query parameters: {', '.join(map(repr, unknown))}.")
    repeated = sorted(name for name, values in request.GET.lists() if len(values) > 1)
    if repeated:
        raise HttpError(422, f"Give each query parameter once: {', '.join(repeated)}.")
    if scope.value not in key.scopes:
        raise HttpError(403, f"This key lacks the scope {scope.value!r}.")
    return key


def problem(
    request: HttpRequest, status: int, title: str, detail: str = "", **extra: Any
) -> HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM
    return response


TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable content",
    429: "Too many requests",
}


@api.exception_handler(ValidationError)
def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
        for e in exc.errors
    ]
    return problem(request, 422, TITLES[422], "The request does not fit the schema.", errors=errors)


@api.exception_handler(AuthenticationError)
def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(
        request, 401, TITLES[401], "A valid, unexpired, unrevoked API key is required."
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(RateLimited)
def on_rate(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = problem(request, 429, TITLES[429], "This key made too many requests this minute.")
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc))


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, TITLES[404], "No such object in this organization.")


@api.exception_handler(DomainError)
def on_domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problem(request, exc.status, TITLES.get(exc.status, "Error"), str(exc))


# --- documented answers --------------------------------------------------------------------------


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, str]] | None = None


# Every operation may answer these; each says so in the schema.
ERRORS: dict[int, type[Problem]] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    422: Problem,
    429: Problem,
}


def answers(ok: Any, *extra: int) -> dict[int, Any]:
    codes = dict(ERRORS)
    codes.update({code: Problem for code in extra})
    codes.update(ok if isinstance(ok, dict) else {200: ok})
    return codes


# Ids are 64-bit: a larger number is refused by validation, not by the database.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- cursors -------------------------------------------------------------------------------------
# A cursor is the id the next page starts after. It needs no secret: every list is scoped to the
# key's organization, so a made-up cursor only skips ahead in one's own data.

Cursor = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")]  # below MAX_ID


def make_cursor(last_id: int) -> str:
    return str(last_id)


def read_cursor(cursor: str | None) -> int:
    return int(cursor) if cursor else 0
