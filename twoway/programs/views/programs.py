"""Program managers' pages: the list, create and edit, a program's page, its status."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role
from twoway.lib.web import apply_errors
from twoway.people.access import me as _me
from twoway.programs import selectors, services
from twoway.programs.eligibility import is_eligible, programs_open_to
from twoway.programs.forms import (
    ProgramForm,
)
from twoway.programs.models import (
    Enrolment,
    EnrolmentStatus,
    Program,
    ProgramStatus,
)
from twoway.programs.sections import program_sections
from twoway.programs.views.common import _is_manager, _user


@org_view()
def programs_list(request: OrgRequest) -> HttpResponse:
    me = _me(request)
    mine = {e.program_id: e for e in Enrolment.objects.filter(person=me)}
    context: dict[str, Any] = {"open_programs": programs_open_to(me), "enrolments": mine}
    if _is_manager(request):
        context["all_programs"] = (
            Program.objects.filter(organization=request.org)
            .annotate(
                enrolled=Count(
                    "enrolments",
                    filter=Q(enrolments__status=EnrolmentStatus.ACTIVE),
                    distinct=True,
                )
            )
            .order_by("status", "name")
        )
    return render(request, "programs/list.html", context)


@org_view(role=Role.PROGRAM_MANAGER)
def program_new(request: OrgRequest) -> HttpResponse:
    form = ProgramForm(
        request.POST or None, org=request.org, instance=Program(organization=request.org)
    )
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(
                organization=request.org,
                actor=_user(request),
                fields=form.program_fields(),
                departments=form.cleaned_data["eligible_departments"],
                invitees=form.cleaned_data["invite_emails"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"{program.name} is created as a draft. Open it when you are ready."
            )
            return redirect("program_detail", org_slug=request.org.slug, program_id=program.pk)
    return render(
        request,
        "programs/form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@org_view(role=Role.PROGRAM_MANAGER)
def program_edit(request: OrgRequest, program_id: int) -> HttpResponse:
    program = selectors.access_program(org=request.org, program_id=program_id)
    form = ProgramForm(request.POST or None, org=request.org, instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(
                program=program,
                actor=_user(request),
                fields=form.program_fields(),
                departments=form.cleaned_data["eligible_departments"],
                invitees=form.cleaned_data["invite_emails"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Program saved.")
            return redirect("program_detail", org_slug=request.org.slug, program_id=program.pk)
    return render(
        request,
        "programs/form.html",
        {"form": form, "program": program},
        status=400 if request.method == "POST" else 200,
    )


@org_view()
def program_detail(request: OrgRequest, program_id: int) -> HttpResponse:
    program = selectors.access_program(org=request.org, program_id=program_id)
    me = _me(request)
    manager = _is_manager(request)
    enrolment = Enrolment.objects.filter(program=program, person=me).first()
    if not manager and program.status == ProgramStatus.DRAFT:
        raise Http404
    if not manager and enrolment is None and not is_eligible(program, me):
        raise Http404
    context: dict[str, Any] = {
        "program": program,
        "enrolment": enrolment,
        "manager": manager,
        "can_enrol": enrolment is None and program.enrolment_is_open() and is_eligible(program, me),
        "my_partnerships": selectors.partnerships_of(me, program=program),
    }
    if manager:
        context.update(selectors.program_overview(program, page=request.GET.get("page")))
        context.update(
            program_sections(
                program=program, viewer=me, role=request.membership.role, query=request.GET
            )
        )
    return render(request, "programs/detail.html", context)


@require_POST
@org_view(role=Role.PROGRAM_MANAGER)
def program_status(request: OrgRequest, program_id: int) -> HttpResponse:
    program = selectors.access_program(org=request.org, program_id=program_id)
    status = request.POST.get("status", "")
    if status not in ProgramStatus.values:
        messages.error(request, "Unknown status.")
    else:
        try:
            services.program_set_status(program=program, status=status, actor=_user(request))
            messages.success(
                request, f"{program.name} is now {program.get_status_display().lower()}."
            )
        except services.ProgramError as exc:
            messages.error(request, str(exc))
    return redirect("program_detail", org_slug=request.org.slug, program_id=program.pk)


@org_view(role=Role.PROGRAM_MANAGER)
def program_enrolments(request: OrgRequest, program_id: int) -> HttpResponse:
    program = selectors.access_program(org=request.org, program_id=program_id)
    state = request.GET.get("state", "")
    enrolments = selectors.enrolments_with_state(program)
    if state in ("in_pool", "matched", "snoozed", "withdrawn"):
        enrolments = [e for e in enrolments if e.state == state]
    page = Paginator(enrolments, 50).get_page(request.GET.get("page"))
    return render(
        request, "programs/enrolments.html", {"program": program, "page": page, "state": state}
    )
