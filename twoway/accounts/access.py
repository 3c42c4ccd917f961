"""The one place where a request is tied to an organization and a role.

Every view under /o/<org>/ goes through `org_view`: it loads the membership of the signed-in user
in that organization or answers 404, so an organization one does not belong to looks exactly like
one that does not exist. Objects are then loaded with the `access_*` helpers, scoped to that
organization, so an id from another organization is a 404 too. Both raise the domain errors of
`twoway.lib.errors`, which the web maps to pages in one place (`twoway.core.middleware`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from twoway.accounts.models import Membership, Organization, Role
from twoway.lib.errors import NotAllowed, NotFound

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponse)


class OrgRequest(HttpRequest):
    """What views behind `org_view` receive: the request plus the checked membership."""

    org: Organization
    membership: Membership


def get_membership(request: HttpRequest, org_slug: str) -> Membership:
    if not request.user.is_authenticated:
        raise NotFound
    try:
        return Membership.objects.select_related("organization", "user").get(
            user=request.user, organization__slug=org_slug
        )
    except Membership.DoesNotExist:
        raise NotFound from None


def org_view(
    role: str = Role.PARTICIPANT,
) -> Callable[
    [Callable[Concatenate[OrgRequest, P], R]], Callable[Concatenate[HttpRequest, str, P], Any]
]:
    """Require a signed-in member of the organization in the URL, with at least `role`.

    A member with too low a role gets 403: they know the organization exists, so a 404 would
    hide nothing and only confuse.
    """

    def decorator(
        view: Callable[Concatenate[OrgRequest, P], R],
    ) -> Callable[Concatenate[HttpRequest, str, P], Any]:
        @functools.wraps(view)
        def wrapper(
            request: HttpRequest, org_slug: str, *args: P.args, **kwargs: P.kwargs
        ) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = get_membership(request, org_slug)
            if not membership.has_role(role):
                raise NotAllowed("Your role in this organization does not open this page.")
            org_request: OrgRequest = request  # type: ignore[assignment]
            org_request.org = membership.organization
            org_request.membership = membership
            request.session["org"] = org_slug
            return view(org_request, *args, **kwargs)

        return wrapper

    return decorator
