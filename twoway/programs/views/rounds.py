"""Matching rounds: run, review and adjust the draft, publish or discard."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Organization, Role
from twoway.lib.paging import CountedPaginator
from twoway.matching.candidates import FULL_LIMIT
from twoway.people.models import Person
from twoway.programs import rounds, selectors, services
from twoway.programs.draft_pages import (
    draft_page,
    group_view,
    in_draft,
    people_details,
    people_matching,
    placements,
)
from twoway.programs.forms import (
    RoundAdjustForm,
)
from twoway.programs.models import (
    DraftGroup,
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
    joined = result.get("trios")  # a draft page's overview counts them; a result lists them
    if joined is None:
        joined = sum(1 for g in result.get("groups", []) if g.get("kind") == "trio")
    return {
        "best": exact or gap < 0.00005,
        "exact": exact,
        "within": max(1, math.ceil(100 * gap - 1e-9)),
        "joined": joined,
    }


def hand_labels(
    org: Organization, people: list[tuple[int, str]], repeated: set[str] | None = None
) -> list[tuple[int, str]]:
    """Names as the page shows them: a name that repeats (in `repeated`, by default within
    `people`) gets its team and level, to tell the people apart. One query for the list."""
    if repeated is None:
        repeated = {name for name, n in Counter(name for _, name in people).items() if n > 1}
    details = people_details(org, [pid for pid, name in people if name in repeated])
    return [(pid, f"{name} ({details[pid]})" if pid in details else name) for pid, name in people]


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


PAGE_SIZE = 50
PICK_LIMIT = 4


def _ints(values: list[str]) -> list[int]:
    # isdecimal, not isdigit: "²" is a digit int() refuses; ten digits fit any id column.
    return [int(v) for v in values if v.isdecimal() and len(v) <= 10]


@org_view(role=Role.PROGRAM_MANAGER)
def round_detail(request: OrgRequest, program_id: int, round_id: int) -> HttpResponse:
    """The draft, whatever its size: a summary over every group, then one page of groups
    (weakest first, or those found by name or team), and hand-pairing by search. It reads the
    round's `DraftPage`, never the whole draft, so a request does a page's work."""
    program = selectors.access_program(org=request.org, program_id=program_id)
    match_round = get_object_or_404(
        MatchRound.objects.select_related("program").defer("result"),
        pk=round_id,
        program=program,
    )
    draft = draft_page(match_round)
    overview = draft.overview if draft is not None else {}
    unmatched = overview.get("unmatched", [])
    repeated = set(overview.get("repeated", []))

    query = request.GET.get("q", "").strip()[:100]
    who = request.GET.get("who", "").strip()[:100]
    groups = DraftGroup.objects.none()
    picks: list[int] = []
    found: list[dict[str, Any]] = []
    more = False
    if draft is not None:
        groups = draft.groups.order_by("fit", "number")
        if query:
            groups = groups.filter(search__contains=query.casefold())
        wanted = list(dict.fromkeys(_ints(request.GET.getlist("pick"))))[:PICK_LIMIT]
        chosen_ids = in_draft(draft, set(wanted))
        picks = [p for p in wanted if p in chosen_ids]
        if who:
            found, more = people_matching(program, draft, who)
    rows_of = groups.values_list("data", flat=True)
    # Without a search the draft's own figures say how many groups there are.
    paginator = (
        Paginator(rows_of, PAGE_SIZE)
        if query or draft is None
        else CountedPaginator(rows_of, PAGE_SIZE, int(overview.get("groups_count", 0)))
    )
    page = paginator.get_page(request.GET.get("page"))
    shown = [group_view(g) for g in page.object_list]

    # Team and level for every name on the page that repeats in the round: one query.
    shown_people = [(m, n) for g in shown for m, n in zip(g["members"], g["names"], strict=True)]
    shown_people += [(u["id"], u["name"]) for u in unmatched]
    label = dict(hand_labels(request.org, shown_people, repeated))
    rows = [{**g, "people": [label[m] for m in g["members"]]} for g in shown]
    where = placements(draft, {*picks, *[f["id"] for f in found]}) if draft else {}
    picked = people_details(request.org, picks)
    names = dict(
        Person.objects.filter(organization=request.org, pk__in=picks).values_list("pk", "name")
    )
    chosen = [
        {
            "id": pid,
            "name": names.get(pid, ""),
            "detail": picked.get(pid, ""),
            "now": where.get(pid, ""),
            "drop": _query(q=query, who=who, pick=[p for p in picks if p != pid]),
        }
        for pid in picks
    ]
    for person in found:
        person["now"] = where.get(person["id"], "")
        person["chosen"] = person["id"] in picks
        person["choose"] = _query(q=query, who=who, pick=[*picks, person["id"]])
    return render(
        request,
        "programs/round.html",
        {
            "program": program,
            "round": match_round,
            "result": overview,
            "groups_count": overview.get("groups_count", 0),
            # Reversed once, not for each of the page's fifty groups.
            "adjust_url": reverse(
                "round_adjust", args=[request.org.slug, program.pk, match_round.pk]
            ),
            "working": match_round.status in (RoundStatus.QUEUED, RoundStatus.RUNNING),
            "how_good": how_good(overview),
            "summary": overview.get("summary", {}),
            "page": page,
            "rows": rows,
            "query": query,
            "page_link": _query(q=query, who=who, pick=picks),
            "unmatched": [{**u, "label": label[u["id"]]} for u in unmatched],
            "unmatched_count": overview.get("unmatched_count", 0),
            "unmatched_more": max(0, overview.get("unmatched_count", 0) - len(unmatched)),
            "who": who,
            "found": found,
            "found_more": more,
            "chosen": chosen,
            "pick_limit": PICK_LIMIT,
            "picks": picks,
        },
    )


def _query(*, q: str, who: str, pick: list[int]) -> str:
    """A query string keeping the page's search, person search and choices."""
    params: list[tuple[str, str | int]] = [("q", q)] if q else []
    if who:
        params.append(("who", who))
    params += [("pick", p) for p in pick]
    return urlencode(params)


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
