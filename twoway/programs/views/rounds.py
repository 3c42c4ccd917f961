"""Matching rounds: run, review and adjust the draft, publish or discard."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role
from twoway.programs import rounds, selectors, services
from twoway.programs.forms import (
    RoundAdjustForm,
)
from twoway.programs.models import (
    MatchRound,
    RoundStatus,
)
from twoway.programs.views.common import _user


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
