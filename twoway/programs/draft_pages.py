"""The round page's view of a draft, built once per run of the round.

A draft is one JSON document (`MatchRound.result`); reading it whole for every page costs as
much as the round is big (10,000 groups: ~6 MB to decode per request). The page instead reads a
`DraftPage`: the draft's figures and summary without its groups, one `DraftGroup` row per group
(indexed by fit, so a page of the weakest is an index range) and one `DraftPlace` per person.
It is built by the worker right after a run, or by the first page view of a draft older than
this (or made before a re-run: `made_from` is the round's `finished_at`). The reads here
(`people_matching`, `placements`, `in_draft`) touch only the rows they name.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from twoway.accounts.models import Organization
from twoway.people.models import Person
from twoway.programs.models import (
    DraftGroup,
    DraftPage,
    DraftPlace,
    Enrolment,
    MatchRound,
    Program,
)

# The page lists this many of those left without a partner; the rest are found by search.
UNMATCHED_SHOWN = 50

EXCHANGE_WORDS = {
    "both": "Skills both ways",
    "one": "Skills one way",
    "none": "No skill exchange",
}
EXCHANGE_LABELS = {"both": "Both ways", "one": "One way", "none": "None"}


def group_view(group: dict[str, Any]) -> dict[str, Any]:
    """One stored group with the keys the page reads. Drafts stored before `fit`, `exchange`
    and `note` were kept lack them: the fit is then worked out from the score (the mean of
    the group's pairs), and the exchange is unknown (None)."""
    size = len(group["members"])
    pairs = max(1, size * (size - 1) // 2)
    fit = group.get("fit")
    if fit is None:
        fit = float(group.get("score") or 0.0) / pairs
    return {
        **group,
        "fit": float(fit),
        "pairs": pairs,
        "exchange": group.get("exchange"),
        "exchange_words": EXCHANGE_WORDS.get(group.get("exchange") or "", ""),
        "note": group.get("note", ""),
    }


def _share(count: int, total: int) -> int:
    return round(100 * count / total) if total else 0


def _width(count: int, largest: int) -> int:
    """A bar's width class, in steps of 5 %: any count above zero shows at least a sliver."""
    if not count or not largest:
        return 0
    return max(5, 5 * round(20 * count / largest))


def draft_summary(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """What the program manager reads before the groups: the shares of groups by skill
    exchange, and how the fits spread (whole-number bands, lowest first)."""
    known = [g["exchange"] for g in groups if g["exchange"] in EXCHANGE_WORDS]
    counts = Counter(known)
    top = max(counts.values(), default=0)
    exchange = [
        {
            "key": key,
            "label": EXCHANGE_LABELS[key],
            "count": counts[key],
            "share": _share(counts[key], len(known)),
            "width": _width(counts[key], top),
        }
        for key in ("both", "one", "none")
    ]
    fits = sorted(g["fit"] for g in groups)
    bands: list[dict[str, Any]] = []
    if fits:
        low, high = math.floor(fits[0]), math.floor(fits[-1])
        per_band = Counter(min(math.floor(f), high) for f in fits)
        top = max(per_band.values())
        bands = [
            {
                "label": f"{k} to {k + 1}",
                "count": per_band[k],
                "share": _share(per_band[k], len(fits)),
                "width": _width(per_band[k], top),
            }
            for k in range(low, high + 1)
        ]
    return {
        "exchange": exchange if known else [],
        "exchange_missing": len(groups) - len(known),
        "fit_bands": bands,
        "median_fit": statistics.median(fits) if fits else None,
        "weakest_fit": fits[0] if fits else None,
    }


def people_details(org: Organization, ids: list[int]) -> dict[int, str]:
    """'Team, level' for each person, in one query ('no team' rather than nothing)."""
    rows = Person.objects.filter(organization=org, pk__in=ids).values_list(
        "pk", "team__name", "level"
    )
    out = {}
    for pid, team, level in rows:
        detail = [team or "no team", org.level_label(level)]
        out[pid] = ", ".join(d for d in detail if d)
    return out


def placements(page: DraftPage, ids: set[int]) -> dict[int, str]:
    """Where each of `ids` is in the draft now, in words ('now with Ana Lima')."""
    out = {}
    for place in DraftPlace.objects.filter(page=page, person_id__in=ids).select_related("group"):
        if place.group is None:
            out[place.person_id] = "without a partner now"
            continue
        g = place.group.data
        others = [n for m, n in zip(g["members"], g["names"], strict=True) if m != place.person_id]
        out[place.person_id] = "now with " + ", ".join(others)
    return out


def in_draft(page: DraftPage, ids: set[int]) -> set[int]:
    """Those of `ids` who are in the draft, in a group or without a partner."""
    return set(
        DraftPlace.objects.filter(page=page, person_id__in=ids).values_list("person_id", flat=True)
    )


FOUND_LIMIT = 20


def people_matching(
    program: Program, page: DraftPage, query: str
) -> tuple[list[dict[str, Any]], bool]:
    """People of the round whose name or team contains `query`, with team and level, and
    whether there were more than FOUND_LIMIT. Read from the program's enrolments: the round's
    people are among them, and the query never lists everyone."""
    rows = (
        Enrolment.objects.filter(program=program)
        .filter(Q(person__name__icontains=query) | Q(person__team__name__icontains=query))
        .order_by("person__name", "person_id")
        .values_list("person_id", "person__name", "person__team__name", "person__level")
    )
    org = program.organization
    found: dict[int, dict[str, Any]] = {}
    # Enrolments outside the round (matched earlier, left) are skipped; a bounded read.
    rows_read = list(rows[: FOUND_LIMIT * 25])
    in_round = in_draft(page, {pid for pid, *_ in rows_read})
    for pid, name, team, level in rows_read:
        if pid in in_round and pid not in found:
            found[pid] = {
                "id": pid,
                "name": name,
                "detail": ", ".join(d for d in (team or "no team", org.level_label(level)) if d),
            }
            if len(found) > FOUND_LIMIT:
                break
    people = list(found.values())
    return people[:FOUND_LIMIT], len(people) > FOUND_LIMIT


def draft_page(match_round: MatchRound) -> DraftPage | None:
    """The round's page, built now if it is missing or older than the round's last run;
    None while the round has no result."""
    page = DraftPage.objects.filter(match_round=match_round).first()
    if page is not None and page.made_from == match_round.finished_at:
        return page
    if not MatchRound.objects.filter(pk=match_round.pk).exclude(result={}).exists():
        return None
    return draft_page_build(match_round)


def draft_page_build(match_round: MatchRound) -> DraftPage:
    """Build (or rebuild) the page from the stored draft, in one transaction."""
    stored = MatchRound.objects.only("result", "finished_at", "program").get(pk=match_round.pk)
    result = stored.result or {}
    groups = [group_view(g) for g in result.get("groups", [])]
    unmatched = sorted(result.get("unmatched", []), key=lambda u: (u["name"], u["id"]))
    names = Counter(n for g in groups for n in g["names"])
    names.update(u["name"] for u in unmatched)
    ids = [m for g in groups for m in g["members"]]
    teams = dict(
        Person.objects.filter(pk__in=ids, team__isnull=False).values_list("pk", "team__name")
    )
    overview = {
        **{k: v for k, v in result.items() if k != "groups"},
        # The first of those left without a partner, by name; all of them are places.
        "unmatched": unmatched[:UNMATCHED_SHOWN],
        "unmatched_count": len(unmatched),
        "groups_count": len(groups),
        "trios": sum(1 for g in groups if g.get("kind") == "trio"),
        "summary": draft_summary(groups),
        "repeated": sorted(n for n, k in names.items() if k > 1),
    }
    try:
        with transaction.atomic():
            DraftPage.objects.filter(match_round=stored).delete()
            page = DraftPage.objects.create(
                match_round=stored, made_from=stored.finished_at, overview=overview
            )
            rows = DraftGroup.objects.bulk_create(
                (
                    DraftGroup(
                        page=page,
                        number=g["id"],
                        fit=g["fit"],
                        search=" | ".join(
                            [*g["names"], *(teams.get(m, "") for m in g["members"])]
                        ).casefold(),
                        data=g,
                    )
                    for g in groups
                ),
                batch_size=2000,
            )
            DraftPlace.objects.bulk_create(
                (
                    DraftPlace(page=page, person_id=m, group=row)
                    for row, g in zip(rows, groups, strict=True)
                    for m in g["members"]
                ),
                batch_size=4000,
            )
            DraftPlace.objects.bulk_create(
                (DraftPlace(page=page, person_id=u["id"], group=None) for u in unmatched),
                batch_size=4000,
            )
    except IntegrityError:
        # Another request built it at the same moment: theirs is as good.
        return DraftPage.objects.get(match_round=stored)
    return page
