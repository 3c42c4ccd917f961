"""Matching rounds: run, review and adjust the draft, publish or discard."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role
from twoway.matching.candidates import FULL_LIMIT
from twoway.people.models import Person
from twoway.programs import rounds, selectors, services
from twoway.programs.forms import (
    RoundAdjustForm,
)
from twoway.programs.models import (
    MatchRound,
    RoundStatus,
)
from twoway.programs.views.common import _user


def how_good(result: dict[str, Any]) -> dict[str, Any]:
    """How close the draft is to the best possible, in the program manager's words.

    `best`: the pairs are the optimum — an exact solve that saw every possible pair (no
    candidate pruning; the bound of a small exact solve can stay loose, so its "gap" means
    nothing), or a total equal to the proven bound. Otherwise `within`: the gap to the proven
    upper bound, rounded up to a whole per cent, so "within 1 %" is always true. The bound
    covers the pairs; anyone added to a pair as a third is counted in `joined`."""
    gap = float(result.get("gap") or 0.0)
    exact = (
        str(result.get("solver", "")).startswith("exact")
        and int(result.get("n") or 0) <= FULL_LIMIT
    )
    joined = sum(1 for g in result.get("groups", []) if g.get("kind") == "trio")
    return {
        "best": exact or gap < 0.00005,
        "exact": exact,
        "within": max(1, math.ceil(100 * gap - 1e-9)),
        "joined": joined,
    }


def hand_labels(org_id: int, people: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The pair-by-hand list: a name that repeats gets its team and level, to tell them apart."""
    repeated = {name for name, n in Counter(name for _, name in people).items() if n > 1}
    ids = [pid for pid, name in people if name in repeated]
    found = {
        p.pk: p
        for p in Person.objects.filter(organization_id=org_id, pk__in=ids).select_related(
            "team", "organization"
        )
    }
    out = []
    for pid, name in people:
        person = found.get(pid)
        if person is not None:
            detail = [person.team.name if person.team else "no team", person.level_label]
            name = f"{name} ({', '.join(d for d in detail if d)})"
        out.append((pid, name))
    return out


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
    people = hand_labels(request.org.pk, sorted(people, key=lambda p: p[1]))
    return render(
        request,
        "programs/round.html",
        {
            "program": match_round.program,
            "round": match_round,
            "result": result,
            "locked": locked,
            "working": match_round.status in (RoundStatus.QUEUED, RoundStatus.RUNNING),
            "people": people,
            "how_good": how_good(result),
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
        queued = rounds.round_publish(match_round=match_round, actor=_user(request))
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    else:
        count = len(queued.result.get("groups", []))
        groups = "1 group" if count == 1 else f"{count} groups"
        messages.success(
            request,
            f"Publishing {groups}: each becomes a partnership and its members get an "
            "introduction. This page shows how far it is.",
        )
    return redirect(
        "round_detail", org_slug=request.org.slug, program_id=program_id, round_id=round_id
    )


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
