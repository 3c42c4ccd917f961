"""Joining a program, one's intake, withdrawing, rematch."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.people.access import me as _me
from twoway.people.models import Direction, Person
from twoway.people.selectors import org_skills, skill_suggestions
from twoway.people.services import skills_with_typed
from twoway.programs import selectors, services
from twoway.programs.eligibility import is_eligible
from twoway.programs.forms import (
    EnrolmentForm,
)
from twoway.programs.models import (
    Enrolment,
    EnrolmentStatus,
    Program,
)


@org_view()
def program_enrol(request: OrgRequest, program_id: int) -> HttpResponse:
    program = selectors.access_program(org=request.org, program_id=program_id)
    me = _me(request)
    enrolment = Enrolment.objects.filter(program=program, person=me).first()
    active = enrolment is not None and enrolment.status == EnrolmentStatus.ACTIVE
    if not active and not (program.enrolment_is_open() and is_eligible(program, me)):
        raise Http404
    skills = org_skills(request.org)
    if active and enrolment is not None:
        strengths = {("offer", int(k)): int(v) for k, v in enrolment.offers.items()}
        strengths |= {("seek", int(k)): int(v) for k, v in enrolment.seeks.items()}
        initial = {
            "goals": enrolment.goals,
            "meeting_preference": enrolment.meeting_preference,
            "capacity": enrolment.capacity,
            "role": enrolment.role,
            "snoozed_until": enrolment.snoozed_until,
        }
    else:
        # Pre-filled from the profile: the intake starts from what the person already said.
        strengths = {(ps.direction, ps.skill_id): ps.strength for ps in me.skills.all()}
        initial = {"meeting_preference": me.meeting_preference, "capacity": 1}
    form = EnrolmentForm(
        request.POST or None,
        skills=skills,
        initial_strengths=strengths,
        program=program,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            # One transaction: a refused intake leaves no skill made by its typed names.
            with transaction.atomic():
                offers, seeks, resolved = skills_with_typed(
                    organization=request.org,
                    offers=form.strengths(Direction.OFFER),
                    seeks=form.strengths(Direction.SEEK),
                    typed=[
                        (direction, name, strength)
                        for direction in (Direction.OFFER, Direction.SEEK)
                        for name, strength in form.typed(direction)
                    ],
                )
                services.enrolment_save(
                    program=program,
                    person=me,
                    offers=offers,
                    seeks=seeks,
                    goals=form.cleaned_data["goals"],
                    meeting_preference=form.cleaned_data["meeting_preference"],
                    capacity=form.cleaned_data["capacity"],
                    role=form.cleaned_data.get("role") or "peer",
                    snoozed_until=form.cleaned_data["snoozed_until"],
                )
        except (services.ProgramError, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        else:
            for note in dict.fromkeys(r.note for r in resolved if r.note):
                messages.info(request, note)
            messages.success(
                request, "You are in. " + ("Your answers are saved." if active else "Welcome!")
            )
            return redirect("program_detail", org_slug=request.org.slug, program_id=program.pk)
    return render(
        request,
        "programs/enrol.html",
        {
            "program": program,
            "form": form,
            "enrolment": enrolment if active else None,
            "offer_groups": form.grouped("offer"),
            "seek_groups": form.grouped("seek"),
            "skill_suggestions": skill_suggestions(request.org),
        },
        status=400 if request.method == "POST" else 200,
    )


def _my_enrolment(request: OrgRequest, program_id: int) -> tuple[Program, Person, Enrolment]:
    program = selectors.access_program(org=request.org, program_id=program_id)
    me = _me(request)
    enrolment = get_object_or_404(
        Enrolment, program=program, person=me, status=EnrolmentStatus.ACTIVE
    )
    return program, me, enrolment


@require_POST
@org_view()
def program_withdraw(request: OrgRequest, program_id: int) -> HttpResponse:
    program, _, enrolment = _my_enrolment(request, program_id)
    services.enrolment_withdraw(enrolment=enrolment)
    messages.success(request, f"You have left {program.name}. You can join again while it is open.")
    return redirect("programs_list", org_slug=request.org.slug)


@require_POST
@org_view()
def program_rematch(request: OrgRequest, program_id: int) -> HttpResponse:
    program, _, enrolment = _my_enrolment(request, program_id)
    wants = request.POST.get("wants_rematch") == "yes"
    services.enrolment_set_rematch(enrolment=enrolment, wants_rematch=wants)
    messages.success(
        request,
        "You are back in the pool for the next round."
        if wants
        else "You will not be rematched for now.",
    )
    return redirect("program_detail", org_slug=request.org.slug, program_id=program.pk)
