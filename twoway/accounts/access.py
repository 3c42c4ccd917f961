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
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from twoway.accounts.models import Membership, Organization, Role, User
from twoway.lib.errors import NotAllowed, NotFound

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponse)


class OrgRequest(HttpRequest):
    """What views behind `org_view` receive: the request plus the checked membership."""

    org: Organization
    membership: Membership


# The organizations whose single sign-on admitted this session (written by integrations.sso).
SSO_SESSION_KEY = "twoway_sso_orgs"


def signed_in_through_sso(request: HttpRequest, org: Organization) -> bool:
    return org.pk in request.session.get(SSO_SESSION_KEY, [])


def password_sign_in_refused_by(user: User) -> Organization | None:
    """The organization whose policy stops this user signing in with a password, or None.

    Only people who belong to nothing but such organizations are stopped: someone also in an
    organization that allows passwords may sign in, and `org_view` then sends them through
    single sign-on at the door of each organization that requires it. Operators (staff) keep
    their password for the Django admin.
    """
    if user.is_staff or user.is_superuser:
        return None
    orgs = [m.organization for m in user.memberships.select_related("organization")]
    if orgs and all(not org.password_sign_in for org in orgs):
        return orgs[0]
    return None


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
            org = membership.organization
            if not org.password_sign_in and not signed_in_through_sso(request, org):
                start = reverse("sso_start", kwargs={"org_slug": org.slug})
                return redirect(f"{start}?{urlencode({'next': request.get_full_path()})}")
            if not membership.has_role(role):
                raise NotAllowed("Your role in this organization does not open this page.")
            org_request: OrgRequest = request  # type: ignore[assignment]
            org_request.org = membership.organization
            org_request.membership = membership
            request.session["org"] = org_slug
            return view(org_request, *args, **kwargs)

        return wrapper

    return decorator
