from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role, User
from twoway.accounts.services import audit
from twoway.directory import selectors
from twoway.directory.forms import ImportUploadForm, InvitationAcceptForm
from twoway.directory.invitations import (
    InvitationError,
    invitation_accept,
    invitation_for_token,
    invitation_problem,
    invitations_send,
    people_to_invite,
)
from twoway.directory.models import ImportStatus
from twoway.directory.services import (
    DirectoryError,
    directory_import_apply,
    directory_import_preview,
)
from twoway.lib.web import posted_id
from twoway.people.models import Person, Team

ERRORS_SHOWN = 500


@org_view(role=Role.ORG_ADMIN)
def directory_settings(request: OrgRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        actor: User = request.user  # type: ignore[assignment]
        preview = directory_import_preview(
            organization=request.org,
            actor=actor,
            filename=upload.name,
            data=upload.read(),
            deactivate_missing=form.cleaned_data["deactivate_missing"],
        )
        return redirect("directory_import", org_slug=request.org.slug, import_id=preview.pk)
    return render(
        request,
        "directory/settings.html",
        {
            "form": form,
            "imports": selectors.recent_imports(org=request.org),
            "counts": selectors.invitation_counts(org=request.org),
            "teams": Team.objects.filter(organization=request.org).order_by("name"),
        },
        status=400 if request.method == "POST" else 200,
    )


@org_view(role=Role.ORG_ADMIN)
def directory_import(request: OrgRequest, import_id: int) -> HttpResponse:
    preview = selectors.access_import(org=request.org, import_id=import_id)
    summary = preview.summary
    errors = summary.get("errors", [])
    return render(
        request,
        "directory/import.html",
        {
            "preview": preview,
            "summary": summary,
            "counts": summary.get("counts", {}),
            "errors": errors[:ERRORS_SHOWN],
            "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
            "can_apply": preview.status == ImportStatus.PREVIEWED and not errors,
            "leave_percent": round(100 * summary.get("leave_share", 0), 1),
        },
    )


@org_view(role=Role.ORG_ADMIN)
def directory_import_errors(request: OrgRequest, import_id: int) -> HttpResponse:
    """Every error of a preview as CSV (row, column, problem), for files with many."""
    preview = selectors.access_import(org=request.org, import_id=import_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{preview.pk}-errors.csv"'
    writer = csv.writer(response)
    writer.writerow(["row", "column", "problem"])
    for e in preview.summary.get("errors", []):
        writer.writerow([e["row"], e["column"], e["message"]])
    return response


@require_POST
@org_view(role=Role.ORG_ADMIN)
def directory_import_confirm(request: OrgRequest, import_id: int) -> HttpResponse:
    preview = selectors.access_import(org=request.org, import_id=import_id)
    actor: User = request.user  # type: ignore[assignment]
    try:
        applied = directory_import_apply(
            directory_import=preview,
            actor=actor,
            sha256=request.POST.get("sha256", ""),
            confirm_deactivations=request.POST.get("confirm_deactivations") == "yes",
        )
    except DirectoryError as exc:
        messages.error(request, str(exc))
    else:
        c = applied.summary["applied"]
        messages.success(
            request,
            f"Imported: {c['create']} created, {c['update']} updated, "
            f"{c['deactivate']} deactivated, {c['unchanged']} unchanged.",
        )
    return redirect("directory_import", org_slug=request.org.slug, import_id=preview.pk)


@org_view(role=Role.ORG_ADMIN)
def directory_invitations(request: OrgRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    people = selectors.people_with_invitations(org=request.org, q=q, state=state)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    member_ids = set(
        Person.objects.filter(
            pk__in=[p.pk for p in page], user__memberships__organization=request.org
        ).values_list("pk", flat=True)
    )
    return render(
        request,
        "directory/invitations.html",
        {
            "page": page,
            "q": q,
            "state": state,
            "member_ids": member_ids,
            "counts": selectors.invitation_counts(org=request.org),
        },
    )


@require_POST
@org_view(role=Role.ORG_ADMIN)
def directory_invite(request: OrgRequest) -> HttpResponse:
    """Invite one person, a team, or everyone not invited yet (`scope`)."""
    scope = request.POST.get("scope", "")
    people: list[Person]
    resend = False
    if scope == "everyone":
        people = list(people_to_invite(organization=request.org))
    elif scope == "team":
        team = get_object_or_404(Team, organization=request.org, pk=posted_id(request, "team_id"))
        people = list(Person.objects.filter(organization=request.org, team=team, is_active=True))
    elif scope == "person":
        people = [
            get_object_or_404(Person, organization=request.org, pk=posted_id(request, "person_id"))
        ]
        resend = request.POST.get("resend") == "yes"
    else:
        return HttpResponseBadRequest("Choose whom to invite.")
    actor: User = request.user  # type: ignore[assignment]
    result = invitations_send(organization=request.org, people=people, actor=actor, resend=resend)
    if result.sent:
        messages.success(request, f"Invitations sent: {len(result.sent)}.")
    reasons: dict[str, int] = {}
    for _, reason in result.skipped:
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        detail = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        messages.info(request, f"Not invited: {detail}.")
    if not result.sent and not reasons:
        messages.info(request, "Nobody to invite.")
    back = request.POST.get("next", "")
    if back == "invitations":
        return redirect("directory_invitations", org_slug=request.org.slug)
    return redirect("directory_settings", org_slug=request.org.slug)


def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows who is invited and asks to confirm; only the POST accepts (mail scanners GET)."""
    invitation = invitation_for_token(token)
    if invitation is None:
        return render(request, "directory/invitation_invalid.html", status=404)
    problem = invitation_problem(invitation)
    if problem is not None:
        if request.method == "POST":
            audit(
                org=invitation.organization,
                actor=None,
                action="invitation.refused",
                target=f"person:{invitation.person_id}",
                reason=problem,
            )
        return render(
            request, "directory/invitation_invalid.html", {"problem": problem}, status=410
        )
    person = invitation.person
    has_account = (
        User.objects.filter(email__iexact=person.email).exclude(password__startswith="!").exists()
    )
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password"],
                password_again=form.cleaned_data["password_again"],
            )
        except InvitationError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {invitation.organization.name} on Twoway.")
            return redirect("my_profile", org_slug=invitation.organization.slug)
    return render(
        request,
        "directory/invitation.html",
        {"invitation": invitation, "person": person, "form": form, "has_account": has_account},
        status=400 if request.method == "POST" else 200,
    )
