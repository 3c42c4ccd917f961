"""Release rules: what the insights page, its CSV and the API may show, decided by the job.

Figures are *published* by the hourly refresh into `Release` rows; readers only ever see
published figures. Two kinds:

**Answers given in confidence** (wellbeing pulse, fit check, fit rating, closing survey, and
how long a pair took to meet): each is a sum over contributors (`metrics.Metric.contributions`).
1. Nothing is published before k people have contributed (k = the minimum group size).
2. After that, a figure changes only when at least k *new* contributors can be added; the new
   publication is the previous one plus their sum. Nobody's answer is ever taken out of a
   published sum, so it never changes because one person left, was removed, or changed an
   answer: the difference between two publications is always the sum of k or more people.
3. Publications of the same figure for different programs (people in both programs give the
   same pulse answers) must differ by nobody or by at least k people, and no one's answer may
   follow from all of them together (an exact rank test over who is in each).
4. Every table is suppressed (`suppression.suppress`) with everything shown beside it as
   equations (n, the means, the NPS), and then checked exactly against every earlier
   publication of the same table (`audit.newly_solved`): no cell of fewer than k people, and no
   count of fewer than k among the people added between two publications, can be solved.
   A table or figure that cannot pass is not published; the previous publication stays.

**What people do in the program** (enrolled, matched, met, goals, retention, stalled pairs):
facts a program manager already sees person by person on the program's own pages, published
afresh at every refresh with the small-cell rules: tables with fewer than k people in total are
not shown at all; the breakdowns by department and level are suppressed with the funnel's steps
as their known column totals; retention shows leavers only in groups of at least k.

The minimum group size only goes up: a release uses the largest k the organization has ever
published with (`effective_k`), so lowering the setting cannot show what a larger one hid.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Max, OuterRef, Subquery

from twoway.accounts.models import Organization
from twoway.insights import metrics, stats
from twoway.insights.audit import Seen, given_away, newly_solved
from twoway.insights.metrics import FIRST_CHECKIN_BINS, PULSE_ITEMS, Loaded, add, total_of
from twoway.insights.models import Release
from twoway.insights.suppression import as_json, is_safe, suppress
from twoway.programs.models import Program

ITEM_LABELS = {
    "belonging": "Belonging",
    "stress": "Stress (lower is better)",
    "confidence": "Confidence",
    "energy": "Energy",
}
FIT_LABELS = {"good": "A good fit", "deciding": "Still deciding", "not_a_fit": "Not a fit"}
NPS_GROUPS = ["Detractors (0–6)", "Passives (7–8)", "Promoters (9–10)"]
FUNNEL_STEPS = [
    ("eligible", "Eligible"),
    ("enrolled", "Enrolled"),
    ("matched", "Matched"),
    ("first_checkin", "Held a first check-in"),
    ("on_cadence", "Meeting on cadence (30 days)"),
]
PRIVATE = tuple(m.name for m in metrics.METRICS if m.private)
OPERATIONAL = ("funnel", "goals", "stalled", "retention")


def effective_k(org: Organization) -> int:
    """The organization's minimum group size, never below one it has already published with."""
    published = Release.objects.filter(organization=org).aggregate(k=Max("k"))["k"] or 0
    return max(org.min_group_size, published)


# --- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    rows: list[str]
    cols: list[str]
    cells: Callable[[Any], list[list[int]]]
    extras: list[list[list[float]]]
    unpublished_cols: bool = False


def _wellbeing_spec(item: str) -> TableSpec:
    values = [float(v) for v in range(1, 6)]
    zeros = [0.0] * 5
    return TableSpec(
        ["At the start", "After 2+ months"],
        ["1", "2", "3", "4", "5"],
        lambda totals: [list(totals[item]["before"]), list(totals[item]["after"])],
        # n x the mean at the start, n x the mean after: the page shows both means.
        [[values, zeros], [zeros, values]],
        unpublished_cols=True,
    )


def _nps_groups(histogram: list[int]) -> list[int]:
    return [sum(histogram[0:7]), sum(histogram[7:9]), sum(histogram[9:11])]


SPECS: dict[str, dict[str, TableSpec]] = {
    "wellbeing": {item: _wellbeing_spec(item) for item in PULSE_ITEMS},
    "fit_check": {
        "answers": TableSpec(
            ["Fit check answers"], list(FIT_LABELS.values()), lambda t: [list(t)], []
        )
    },
    "closing_survey": {
        # Promoters - detractors (n x NPS / 100) is shown beside the table.
        "answers": TableSpec(
            ["Closing survey"], NPS_GROUPS, lambda t: [_nps_groups(t)], [[[-1.0, 0.0, 1.0]]]
        )
    },
    "time_to_first": {
        "bins": TableSpec(
            ["Pairs"],
            [label for _, _, label in FIRST_CHECKIN_BINS],
            lambda t: [list(t["bins"])],
            [],
        )
    },
}


def _seen(past: Release, name: str, spec: TableSpec) -> Seen:
    cells = spec.cells(past.totals)
    members = frozenset(past.contributors)
    shown = (past.published.get("tables") or {}).get(name)
    if shown is None:
        return Seen.unpublished(cells, past.k, members)
    return Seen(
        members=members,
        cells=cells,
        hidden=[[v is None for v in row] for row in shown["cells"]],
        hidden_rows=[v is None for v in shown["row_totals"]],
        hidden_cols=[v is None for v in shown["col_totals"]],
        hidden_total=shown["total"] is None,
        extras=shown.get("extras", []),
        k=past.k,
    )


def publish_table(
    name: str,
    spec: TableSpec,
    totals: Any,
    k: int,
    past: list[Release],
    members: frozenset[str],
) -> dict[str, Any] | None:
    """The table as it may be shown now, or None. With the figures beside it first; if even
    hiding every cell cannot make that safe, without them (the JSON's `extras` is then empty
    and the caller leaves those figures out). `past`: every earlier publication of this table
    whose people overlap these, in any program."""
    cells = spec.cells(totals)
    if sum(map(sum, cells)) < k:
        return None
    history = [_seen(r, name, spec) for r in past]
    before = given_away(history, k)
    for extras in [spec.extras, []] if spec.extras else [[]]:

        def audit(table: Any) -> list[tuple[int, int]]:
            return newly_solved(history, Seen.of(table, k, members), before)

        table = suppress(
            cells,
            k,
            list(spec.rows),
            list(spec.cols),
            extras=extras,
            unpublished_cols=spec.unpublished_cols,
            audit=audit,
        )
        if is_safe(table, audit):
            return {**as_json(table), "extras": extras}
    return None


def _tables(
    family: str, totals: Any, k: int, past: list[Release], members: frozenset[str]
) -> dict[str, Any] | None:
    tables = {}
    for name, spec in SPECS.get(family, {}).items():
        published = publish_table(name, spec, totals, k, past, members)
        if published is None:
            return None
        tables[name] = published
    return tables


def related(members: frozenset[str], releases: list[Release]) -> list[Release]:
    """The releases linked to these people through shared contributors (directly or through
    other releases), oldest first: all a reader could combine with a new publication."""
    reach = set(members)
    chosen: list[Release] = []
    left = list(releases)
    grew = True
    while grew:
        grew = False
        for release in list(left):
            keys = set(release.contributors)
            if keys & reach:
                chosen.append(release)
                left.remove(release)
                reach |= keys
                grew = True
    return sorted(chosen, key=lambda r: (r.released_at, r.pk or 0))


# --- private figure groups -------------------------------------------------------------------


def _published_private(
    family: str, totals: Any, k: int, past: list[Release], members: frozenset[str]
) -> dict[str, Any] | None:
    tables = _tables(family, totals, k, past, members)
    if tables is None:
        return None
    out: dict[str, Any] = {"tables": tables}
    if family == "wellbeing":
        items = {}
        for item in PULSE_ITEMS:
            w = totals[item]
            change = stats.paired_change(
                n=w["n"],
                sum_before=w["sum_before"],
                sum_after=w["sum_after"],
                sum_d=w["sum_d"],
                sum_d2=w["sum_d2"],
            )
            shown = change is not None and bool(tables[item]["extras"])
            items[item] = (
                {
                    "n": change.n,
                    "mean_before": change.mean_before,
                    "mean_after": change.mean_after,
                    "mean_change": change.mean_change,
                    "sd_change": change.sd_change,
                    "low": change.low,
                    "high": change.high,
                }
                if shown and change is not None
                else None
            )
        out.update(n=totals[PULSE_ITEMS[0]]["n"], items=items)
    elif family == "fit_check":
        out.update(n=sum(totals))
    elif family == "closing_survey":
        n = sum(totals)
        groups = _nps_groups(totals)
        out.update(
            n=n,
            nps=round(100 * (groups[2] - groups[0]) / n) if tables["answers"]["extras"] else None,
        )
    elif family == "fit_rating":
        out.update(n=totals["n"], average=round(totals["sum"] / totals["n"], 2))
    elif family == "time_to_first":
        bins = tables["bins"]
        half = None
        running = 0
        for label, value in zip(bins["cols"], bins["cells"][0], strict=True):
            if value is None:
                break
            running += value
            if 2 * running >= totals["pairs"]:
                half = label
                break
        out.update(pairs=totals["pairs"], half_within=half)
    return out


def _empty(family: str) -> Any:
    return {
        "wellbeing": None,
        "fit_check": [0, 0, 0],
        "fit_rating": {"n": 0, "sum": 0, "histogram": [0] * 5},
        "closing_survey": [0] * 11,
        "time_to_first": {"pairs": 0, "bins": [0] * len(FIRST_CHECKIN_BINS)},
    }[family]


def isolated(groups: list[set[str]]) -> set[str]:
    """Contributors whose own value a reader can compute from sums over these groups alone:
    those whose unit vector lies in the row space of the groups' indicator vectors."""
    people = sorted(set().union(*groups)) if groups else []
    if not people:
        return set()
    column = {key: n for n, key in enumerate(people)}
    matrix = np.zeros((len(groups), len(people)))
    for row, group in enumerate(groups):
        matrix[row, [column[key] for key in group]] = 1.0
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    rank = int((singular > 1e-9 * max(singular.max(), 1.0)).sum())
    # The squared length of a unit vector's projection on the row space: 1 when it lies in it.
    reach = (vt[:rank] ** 2).sum(axis=0)
    return {key for key, r in zip(people, reach, strict=True) if r > 1 - 1e-9}


def overlaps_allowed(mine: set[str], others: list[set[str]], k: int) -> bool:
    """Rule 3. A published group nested in another may differ from it by nobody or by at least
    k people; two that overlap without nesting, by at least k people in all. And whatever the
    pairs, no one's value may follow from all the published groups together."""
    for theirs in others:
        only_mine, only_theirs = mine - theirs, theirs - mine
        if not only_mine and not only_theirs:
            continue
        if (not only_mine or not only_theirs) and len(only_mine | only_theirs) < k:
            return False
        if len(only_mine) + len(only_theirs) < k:
            return False
    overlapping = [theirs for theirs in others if theirs & mine]
    return not overlapping or not isolated([*overlapping, mine])


def private_release(
    family: str,
    contributions: dict[str, Any],
    past: list[Release],
    others: list[Release],
    k: int,
) -> tuple[list[str], Any, dict[str, Any]] | None:
    """(contributors, totals, published) of the next publication, or None to keep the last."""
    last = past[-1] if past else None
    included = set(last.contributors) if last else set()
    new = sorted(key for key in contributions if key not in included)
    if last is None:
        if len(new) < k:
            return None
        totals = total_of((contributions[key] for key in new), _empty(family))
    elif len(new) >= k:
        totals = total_of((contributions[key] for key in new), None)
        totals = add(last.totals, totals)
    elif last.k < k:
        # The minimum group size went up: the same people, checked again at the new size.
        new = []
        totals = last.totals
    else:
        return None
    contributors = sorted(included | set(new))
    if not overlaps_allowed(set(contributors), [set(o.contributors) for o in others], k):
        return None
    members = frozenset(contributors)
    history = related(members, [*past, *others])
    published = _published_private(family, totals, k, history, members)
    if published is None:
        return None
    return contributors, totals, published


# --- figures about what people do --------------------------------------------------------------


def _small(value: int, k: int) -> int | None:
    return value if value == 0 or value >= k else None


def _breakdown(
    data: dict[str, Any], k: int, fixed: list[bool], enrolled: int | None
) -> dict[str, Any] | None:
    if not data.get("rows") or enrolled is None or sum(map(sum, data["cells"])) < k:
        return None
    table = suppress(data["cells"], k, list(data["rows"]), list(data["cols"]), fixed_cols=fixed)
    if not is_safe(table):
        return None
    return as_json(table)


def published_funnel(snap: dict[str, Any], k: int) -> dict[str, Any]:
    f = snap["funnel"]
    shown: dict[str, int | None] = {
        key: f[key] if not 0 < f[key] < k else None for key, _ in FUNNEL_STEPS
    }
    steps = [[key, label, shown[key]] for key, label in FUNNEL_STEPS]
    # The funnel's steps are the breakdowns' column totals: waiting = enrolled - matched,
    # matched but not met = matched - met, met = first check-in. Those it gives away are
    # protected as shown.
    fixed = [
        shown["enrolled"] is not None and shown["matched"] is not None,
        shown["matched"] is not None and shown["first_checkin"] is not None,
        shown["first_checkin"] is not None,
    ]
    return {
        "steps": steps,
        "pairs_not_met": _small(snap["time_to_first"]["pairs_not_met"], k),
        "by_department": _breakdown(snap["by_department"], k, fixed, shown["enrolled"]),
        "by_level": _breakdown(snap["by_level"], k, fixed, shown["enrolled"]),
    }


def published_goals(snap: dict[str, Any], k: int) -> dict[str, Any]:
    data = snap["goals"]
    if not data.get("rows") or sum(map(sum, data["cells"])) < k:
        return {"table": None, "any": bool(data.get("rows"))}
    table = suppress(data["cells"], k, list(data["rows"]), list(data["cols"]))
    return {"table": as_json(table) if is_safe(table) else None, "any": True}


def published_retention(snap: dict[str, Any], k: int) -> dict[str, Any] | None:
    r = snap["retention"]
    if r["participants"] < k or r["others"] < k:
        return None
    curves = {
        # Each curve stops where fewer than k people are still followed.
        name: [[p[0], p[1]] for p in r["curves"][name] if p[4] >= k]
        for name in ("participants", "others")
    }
    rows = []
    for i, year in enumerate(r["years"]):
        cells = [
            [
                r["survival_at"][g][i] if r["at_risk"][g][i] >= k else None,
                r["at_risk"][g][i] if r["at_risk"][g][i] >= k else None,
            ]
            for g in ("participants", "others")
        ]
        if any(c[1] is not None for c in cells):
            rows.append([year, *cells])
    events = {g: _small(r["events"][g], k) for g in ("participants", "others")}
    logrank = r.get("logrank")
    return {
        "participants": r["participants"],
        "others": r["others"],
        "events": events,
        # A test over fewer than k leavers would say little and tell who left when.
        "logrank": logrank if logrank and sum(r["events"].values()) >= k else None,
        "rows": rows,
        "curves": curves,
        "years": max((row[0] for row in rows), default=1),
    }


def published_stalled(snap: dict[str, Any], k: int) -> dict[str, Any]:
    return {"pairs": snap["stalled"]["pairs"], "total": snap["stalled"]["total"]}


OPERATIONAL_PUBLISHERS: dict[str, Callable[[dict[str, Any], int], Any]] = {
    "funnel": published_funnel,
    "goals": published_goals,
    "stalled": published_stalled,
    "retention": published_retention,
}


# --- the job's step --------------------------------------------------------------------------


def publish_org(
    org: Organization,
    loaded: Loaded,
    programs: list[Program],
    snapshots: dict[int, dict[str, Any]],
    now: dt.datetime,
    only: list[str] | None = None,
) -> list[Release]:
    """Publish what the rules allow for every program; returns the new private releases."""
    k = effective_k(org)
    past: dict[tuple[int, str], list[Release]] = defaultdict(list)
    by_family: dict[str, list[Release]] = defaultdict(list)
    for release in Release.objects.filter(organization=org, family__in=PRIVATE).order_by(
        "program_id", "family", "seq"
    ):
        past[(release.program_id, release.family)].append(release)
        by_family[release.family].append(release)
    created = []
    for program in programs:
        snap = snapshots[program.pk]
        for family, publisher in OPERATIONAL_PUBLISHERS.items():
            Release.objects.update_or_create(
                program=program,
                family=family,
                seq=0,
                defaults={
                    "organization": org,
                    "k": k,
                    "released_at": now,
                    "published": {"figures": publisher(snap, k)},
                },
            )
        for family in PRIVATE:
            if only is not None and family not in only:
                continue
            contributions = metrics.BY_NAME[family].contributions(loaded, program)  # type: ignore[misc]
            mine = past[(program.pk, family)]
            others = [r for r in by_family[family] if r.program_id != program.pk]
            decided = private_release(family, contributions, mine, others, k)
            if decided is None:
                continue
            contributors, totals, published = decided
            release = Release.objects.create(
                organization=org,
                program=program,
                family=family,
                seq=(mine[-1].seq if mine else 0) + 1,
                k=k,
                released_at=now,
                contributors=contributors,
                totals=totals,
                published=published,
            )
            mine.append(release)
            by_family[family].append(release)
            created.append(release)
    return created


def latest(program: Program) -> dict[str, Release]:
    """The newest publication of each figure group of a program (one query, without the
    contributor keys and sums, which only the job reads)."""
    newest = (
        Release.objects.filter(program=OuterRef("program"), family=OuterRef("family"))
        .order_by("-seq")
        .values("seq")[:1]
    )
    return {
        r.family: r
        for r in Release.objects.filter(program=program, seq=Subquery(newest)).defer(
            "contributors", "totals"
        )
    }
