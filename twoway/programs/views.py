from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role, User
from twoway.accounts.services import audit
from twoway.matching import pair_score, suggest
from twoway.people.models import Direction, Person
from twoway.people.selectors import org_skills
from twoway.people.services import person_get_or_create_for_user
from twoway.programs import rounds, selectors, services
from twoway.programs.cohort import engine_settings, participants_for, pool
from twoway.programs.eligibility import is_eligible, programs_open_to
from twoway.programs.forms import (
    EnrollmentForm,
    ProgramForm,
    RequestForm,
    ResponseForm,
    RoundAdjustForm,
)
from twoway.programs.models import (
    Block,
    Enrollment,
    EnrollmentStatus,
    MatchRequest,
    MatchRound,
    Program,
    ProgramStatus,
    RequestStatus,
    RoundStatus,
)
from twoway.programs.wording import reasons_for


def _me(request: OrgRequest) -> Person:
    user: User = request.user  # type: ignore[assignment]
    return person_get_or_create_for_user(org=request.org, user=user)


def _user(request: OrgRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_manager(request: OrgRequest) -> bool:
    return request.membership.has_role(Role.PROGRAM_MANAGER)


# ---------------------------------------------------------------- programs


@org_view()
def programs_list(request: OrgRequest) -> HttpResponse:
    me = _me(request)
    mine = {e.program_id: e for e in Enrollment.objects.filter(person=me)}
    context: dict[str, Any] = {"open_programs": programs_open_to(me), "enrolments": mine}
    if _is_manager(request):
        context["all_programs"] = (
            Program.objects.filter(organization=request.org)
            .annotate(
                enrolled=Count(
                    "enrollments",
                    filter=Q(enrollments__status=EnrollmentStatus.ACTIVE),
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
        program = form.save(commit=False)
        program.created_by = _user(request)
        program.save()
        form.save_m2m()
        audit(org=request.org, actor=_user(request), action="program.created", target=program.name)
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
        form.save()
        audit(org=request.org, actor=_user(request), action="program.edited", target=program.name)
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
    enrolment = Enrollment.objects.filter(program=program, person=me).first()
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
        context.update(selectors.program_overview(program))
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


# ---------------------------------------------------------------- enrolment


@org_view()
def program_enrol(request: OrgRequest, program_id: int) -> HttpResponse:
    program = selectors.access_program(org=request.org, program_id=program_id)
    me = _me(request)
    enrolment = Enrollment.objects.filter(program=program, person=me).first()
    active = enrolment is not None and enrolment.status == EnrollmentStatus.ACTIVE
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
    form = EnrollmentForm(
        request.POST or None,
        skills=skills,
        initial_strengths=strengths,
        program=program,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.enrollment_save(
                program=program,
                person=me,
                offers=form.strengths(Direction.OFFER),
                seeks=form.strengths(Direction.SEEK),
                goals=form.cleaned_data["goals"],
                meeting_preference=form.cleaned_data["meeting_preference"],
                capacity=form.cleaned_data["capacity"],
                role=form.cleaned_data.get("role") or "peer",
                snoozed_until=form.cleaned_data["snoozed_until"],
            )
        except (services.ProgramError, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        else:
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
        },
        status=400 if request.method == "POST" else 200,
    )


def _my_enrolment(request: OrgRequest, program_id: int) -> tuple[Program, Person, Enrollment]:
    program = selectors.access_program(org=request.org, program_id=program_id)
    me = _me(request)
    enrolment = get_object_or_404(
        Enrollment, program=program, person=me, status=EnrollmentStatus.ACTIVE
    )
    return program, me, enrolment


@require_POST
@org_view()
def program_withdraw(request: OrgRequest, program_id: int) -> HttpResponse:
    program, _, enrolment = _my_enrolment(request, program_id)
    services.enrollment_withdraw(enrollment=enrolment)
    messages.success(request, f"You have left {program.name}. You can join again while it is open.")
    return redirect("programs_list", org_slug=request.org.slug)


@require_POST
@org_view()
def program_rematch(request: OrgRequest, program_id: int) -> HttpResponse:
    program, _, enrolment = _my_enrolment(request, program_id)
    wants = request.POST.get("wants_rematch") == "yes"
    services.enrollment_set_rematch(enrollment=enrolment, wants_rematch=wants)
    messages.success(
        request,
        "You are back in the pool for the next round."
        if wants
        else "You will not be rematched for now.",
    )
    return redirect("program_detail", org_slug=request.org.slug, program_id=program.pk)


# ---------------------------------------------------------------- self-match


@org_view()
def program_peers(request: OrgRequest, program_id: int) -> HttpResponse:
    program, me, enrolment = _my_enrolment(request, program_id)
    if not program.allows_self_match:
        raise Http404
    enrolments = list(pool(program))
    if all(e.pk != enrolment.pk for e in enrolments):
        enrolments.append(enrolment)
    participants = participants_for(program, enrolments)
    by_id = {str(e.person_id): e.person for e in enrolments}
    suggestions = [
        (by_id[s.id], s) for s in suggest(str(me.pk), participants, engine_settings(program), k=6)
    ]
    q = request.GET.get("q", "").strip()
    others = (
        Enrollment.objects.filter(
            program=program, status=EnrollmentStatus.ACTIVE, person__is_active=True
        )
        .exclude(person=me)
        .select_related("person", "person__team", "person__department")
        .order_by("person__name")
    )
    if q:
        others = others.filter(
            Q(person__name__icontains=q) | Q(person__title__icontains=q) | Q(goals__icontains=q)
        )
    page = Paginator(others, 24).get_page(request.GET.get("page"))
    return render(
        request,
        "programs/peers.html",
        {
            "program": program,
            "suggestions": suggestions,
            "page": page,
            "q": q,
            "full": services.partners_in_program(program, me) >= enrolment.capacity,
        },
    )


@org_view()
def request_new(request: OrgRequest, program_id: int, person_id: int) -> HttpResponse:
    program, me, enrolment = _my_enrolment(request, program_id)
    if person_id == me.pk:
        raise Http404
    peer_enrolment = get_object_or_404(
        Enrollment.objects.select_related("person"),
        program=program,
        person_id=person_id,
        person__organization=request.org,
        status=EnrollmentStatus.ACTIVE,
    )
    peer = peer_enrolment.person
    a, b = participants_for(program, [enrolment, peer_enrolment])
    score = pair_score(a, b, engine_settings(program))
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.request_send(
                program=program, sender=me, receiver=peer, note=form.cleaned_data["note"]
            )
        except services.ProgramError as exc:
            form.add_error(None, str(exc))
        else:
            if sent.status == RequestStatus.ACCEPTED:
                messages.success(
                    request, f"You and {peer.name} asked for each other — you are now partners!"
                )
            else:
                messages.success(request, f"Your request is on its way to {peer.name}.")
            return redirect("requests", org_slug=request.org.slug)
    return render(
        request,
        "programs/request_new.html",
        {"program": program, "peer": peer, "score": score, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@org_view()
def requests(request: OrgRequest) -> HttpResponse:
    me = _me(request)
    base = MatchRequest.objects.filter(program__organization=request.org).select_related(
        "program", "sender", "receiver", "sender__team", "receiver__team"
    )
    return render(
        request,
        "programs/requests.html",
        {
            "incoming": base.filter(receiver=me, status=RequestStatus.OPEN),
            "outgoing": base.filter(sender=me, status=RequestStatus.OPEN),
            "history": base.filter(Q(sender=me) | Q(receiver=me)).exclude(
                status=RequestStatus.OPEN
            )[:30],
            "me": me,
            "response_form": ResponseForm(),
        },
    )


def _request_of(request: OrgRequest, request_id: int) -> MatchRequest:
    return get_object_or_404(
        MatchRequest.objects.select_related(
            "program", "program__organization", "sender", "receiver"
        ),
        pk=request_id,
        program__organization=request.org,
    )


@require_POST
@org_view()
def request_respond(request: OrgRequest, request_id: int) -> HttpResponse:
    match_request = _request_of(request, request_id)
    me = _me(request)
    if match_request.receiver_id != me.pk:
        raise Http404
    form = ResponseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept or decline.")
        return redirect("requests", org_slug=request.org.slug)
    try:
        if form.cleaned_data["decision"] == "accept":
            partnership = services.request_accept(
                request=match_request, by=me, response=form.cleaned_data["response"]
            )
            messages.success(request, f"You and {match_request.sender.name} are now partners.")
            return redirect(
                reverse("my_partnerships", kwargs={"org_slug": request.org.slug})
                + f"#p{partnership.pk}"
            )
        services.request_decline(
            request=match_request, by=me, response=form.cleaned_data["response"]
        )
        messages.success(request, f"We let {match_request.sender.name} know, kindly.")
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    return redirect("requests", org_slug=request.org.slug)


@require_POST
@org_view()
def request_withdraw(request: OrgRequest, request_id: int) -> HttpResponse:
    match_request = _request_of(request, request_id)
    me = _me(request)
    if match_request.sender_id != me.pk:
        raise Http404
    try:
        services.request_withdraw(request=match_request, by=me)
        messages.success(request, "Request withdrawn.")
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    return redirect("requests", org_slug=request.org.slug)


@org_view()
def my_partnerships(request: OrgRequest) -> HttpResponse:
    me = _me(request)
    partnerships = selectors.partnerships_of(me)
    rows = [
        (p, selectors.partners_of(p, me), reasons_for(p.reasons, me.name)) for p in partnerships
    ]
    rematch_offers = Enrollment.objects.filter(
        person=me, status=EnrollmentStatus.ACTIVE, wants_rematch=False
    ).select_related("program")
    return render(
        request,
        "programs/my_partnerships.html",
        {"rows": rows, "me": me, "rematch_offers": rematch_offers},
    )


# ---------------------------------------------------------------- blocks


@org_view()
def blocks(request: OrgRequest) -> HttpResponse:
    me = _me(request)
    rows = Block.objects.filter(person=me).select_related("blocked").order_by("blocked__name")
    return render(request, "programs/blocks.html", {"blocks": rows})


@require_POST
@org_view()
def block_add(request: OrgRequest, person_id: int) -> HttpResponse:
    me = _me(request)
    other = get_object_or_404(Person, pk=person_id, organization=request.org)
    try:
        services.block_add(person=me, blocked=other)
        messages.success(request, f"You will not be matched with {other.name}. They are not told.")
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    return redirect("blocks", org_slug=request.org.slug)


@require_POST
@org_view()
def block_remove(request: OrgRequest, person_id: int) -> HttpResponse:
    services.block_remove(person=_me(request), blocked_id=person_id)
    messages.success(request, "Removed from your list.")
    return redirect("blocks", org_slug=request.org.slug)


# ---------------------------------------------------------------- rounds


def _round_of(request: OrgRequest, program_id: int, round_id: int) -> MatchRound:
    program = selectors.access_program(org=request.org, program_id=program_id)
    return get_object_or_404(
        MatchRound.objects.select_related("program"), pk=round_id, program=program
    )


@require_POST
@org_view(role=Role.PROGRAM_MANAGER)
def round_create(request: OrgRequest, program_id: int) -> HttpResponse:
    program = selectors.access_program(org=request.org, program_id=program_id)
    try:
        match_round = rounds.round_create(program=program, actor=_user(request))
    except services.ProgramError as exc:
        messages.error(request, str(exc))
        return redirect("program_detail", org_slug=request.org.slug, program_id=program.pk)
    return redirect(
        "round_detail", org_slug=request.org.slug, program_id=program.pk, round_id=match_round.pk
    )


@org_view(role=Role.PROGRAM_MANAGER)
def round_detail(request: OrgRequest, program_id: int, round_id: int) -> HttpResponse:
    match_round = _round_of(request, program_id, round_id)
    result = match_round.result or {}
    people = [
        (m, n)
        for g in result.get("groups", [])
        for m, n in zip(g["members"], g["names"], strict=True)
    ]
    people += [(u["id"], u["name"]) for u in result.get("unmatched", [])]
    locked = {tuple(sorted(g)) for g in match_round.locked_groups}
    return render(
        request,
        "programs/round.html",
        {
            "program": match_round.program,
            "round": match_round,
            "result": result,
            "locked": locked,
            "working": match_round.status in (RoundStatus.QUEUED, RoundStatus.RUNNING),
            "people": sorted(people, key=lambda p: p[1]),
            "pair_form": RoundAdjustForm(people=people),
        },
    )


@require_POST
@org_view(role=Role.PROGRAM_MANAGER)
def round_adjust(request: OrgRequest, program_id: int, round_id: int) -> HttpResponse:
    match_round = _round_of(request, program_id, round_id)
    result = match_round.result or {}
    people = [(m, str(m)) for g in result.get("groups", []) for m in g["members"]]
    people += [(u["id"], str(u["id"])) for u in result.get("unmatched", [])]
    form = RoundAdjustForm(request.POST, people=people)
    if not form.is_valid():
        messages.error(request, "Choose the people to change.")
    else:
        try:
            rounds.round_adjust(
                match_round=match_round,
                actor=_user(request),
                action=form.cleaned_data["action"],
                people=form.cleaned_data["people"],
            )
            messages.success(
                request, "Saved. The rest of the round is being re-optimised around your change."
            )
        except services.ProgramError as exc:
            messages.error(request, str(exc))
    return redirect(
        "round_detail", org_slug=request.org.slug, program_id=program_id, round_id=round_id
    )


@require_POST
@org_view(role=Role.PROGRAM_MANAGER)
def round_publish(request: OrgRequest, program_id: int, round_id: int) -> HttpResponse:
    match_round = _round_of(request, program_id, round_id)
    try:
        count = rounds.round_publish(match_round=match_round, actor=_user(request))
    except services.ProgramError as exc:
        messages.error(request, str(exc))
        return redirect(
            "round_detail", org_slug=request.org.slug, program_id=program_id, round_id=round_id
        )
    messages.success(
        request, f"Published: {count} partnerships started, and everyone got an introduction."
    )
    return redirect("program_detail", org_slug=request.org.slug, program_id=program_id)


@require_POST
@org_view(role=Role.PROGRAM_MANAGER)
def round_discard(request: OrgRequest, program_id: int, round_id: int) -> HttpResponse:
    match_round = _round_of(request, program_id, round_id)
    try:
        rounds.round_discard(match_round=match_round, actor=_user(request))
        messages.success(request, "The draft is set aside; it stays in the history.")
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    return redirect("program_detail", org_slug=request.org.slug, program_id=program_id)
