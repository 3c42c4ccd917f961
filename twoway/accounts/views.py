from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.forms import MembershipRoleForm, OrganizationSettingsForm
from twoway.accounts.models import AuditEvent, Membership, Role, User
from twoway.accounts.services import (
    LastAdminError,
    membership_set_role,
    organization_update_settings,
)


@org_view(role=Role.ORG_ADMIN)
def org_settings(request: OrgRequest) -> HttpResponse:
    form = OrganizationSettingsForm(request.POST or None, instance=request.org)
    if request.method == "POST" and form.is_valid():
        actor: User = request.user  # type: ignore[assignment]
        changed = {name: form.cleaned_data[name] for name in form.Meta.fields}
        changed["level_ladder"] = form.cleaned_data["ladder"]
        organization_update_settings(org=request.org, actor=actor, changed=changed)
        messages.success(request, "Organization settings saved.")
        return redirect("org_settings", org_slug=request.org.slug)
    if request.method == "POST":
        # The form wrote the ladder onto the instance while validating: undo that in memory.
        request.org.refresh_from_db()
    events = AuditEvent.objects.filter(organization=request.org).select_related("actor")[:20]
    return render(
        request,
        "accounts/org_settings.html",
        {"form": form, "events": events},
        status=400 if request.method == "POST" else 200,
    )


@org_view(role=Role.ORG_ADMIN)
def members(request: OrgRequest) -> HttpResponse:
    if request.method == "POST":
        form = MembershipRoleForm(request.POST, org=request.org)
        if form.is_valid():
            actor: User = request.user  # type: ignore[assignment]
            try:
                membership_set_role(
                    membership=form.cleaned_data["membership"],
                    role=form.cleaned_data["role"],
                    actor=actor,
                )
            except LastAdminError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "Role updated.")
            return redirect("members", org_slug=request.org.slug)
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("members", org_slug=request.org.slug)
    memberships = (
        Membership.objects.filter(organization=request.org)
        .select_related("user")
        .order_by("user__email")
    )
    page = Paginator(memberships, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/members.html", {"page": page, "roles": Role.choices})
