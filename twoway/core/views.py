from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Membership, User
from twoway.people import selectors
from twoway.people.models import Direction
from twoway.people.services import person_provision_memberships
from twoway.programs.eligibility import programs_open_to
from twoway.programs.models import MatchRequest, ProgramStatus, RequestStatus
from twoway.programs.selectors import open_partnerships_of, partners_of

log = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # The error names hosts, ports and roles: it goes to the log, never to the caller.
        log.exception("healthz: the database did not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class SignInView(LoginView):
    """Django's sign-in, then each of the member's organizations gets their employee record if
    it has none yet (a page read never makes one)."""

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user: User = form.get_user()
        person_provision_memberships(user=user, source="sign_in")
        return response


@login_required
def root(request: HttpRequest) -> HttpResponse:
    """Send a member to their organization: the last one used, or the only one, or a choice."""
    user: User = request.user  # type: ignore[assignment]
    memberships = list(Membership.objects.filter(user=user).select_related("organization"))
    slugs = {m.organization.slug for m in memberships}
    last = request.session.get("org")
    if last in slugs:
        return redirect("org_home", org_slug=last)
    if len(memberships) == 1:
        return redirect("org_home", org_slug=memberships[0].organization.slug)
    return render(request, "core/choose_org.html", {"memberships": memberships})


@org_view()
def org_home(request: OrgRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    person = selectors.person_for_user(org=request.org, user=user)
    counts = {"offers": 0, "seeks": 0}
    if person is not None:
        for ps in person.skills.all():
            counts["offers" if ps.direction == Direction.OFFER else "seeks"] += 1
    missing = []
    if person is None or not counts["offers"]:
        missing.append("what you can share")
    if person is None or not counts["seeks"]:
        missing.append("what you want to grow")
    if person is None or not person.availability.exists():
        missing.append("when you are free to meet")
    context: dict[str, object] = {"person": person, "missing": missing}
    if person is not None:
        context["partnerships"] = [
            (p, partners_of(p, person)) for p in open_partnerships_of(person).order_by("-created")
        ]
        context["incoming_requests"] = MatchRequest.objects.filter(
            receiver=person, status=RequestStatus.OPEN
        ).count()
        context["open_programs"] = [
            p for p in programs_open_to(person) if p.status == ProgramStatus.OPEN
        ]
    return render(request, "core/org_home.html", context)
