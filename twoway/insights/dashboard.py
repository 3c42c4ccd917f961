"""What the program dashboard shows, built from the pre-aggregated tables only.

The org's minimum group size is applied here, at read time, so a change of the threshold takes
effect at once: every figure that splits people goes through `suppression.suppress`, and
wellbeing, retention and ratings are shown only over at least that many people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString

from twoway.insights import charts, stats
from twoway.insights.aggregate import PULSE_ITEMS
from twoway.insights.models import DailyCount, ProgramSnapshot
from twoway.insights.suppression import Table, suppress, suppress_1d
from twoway.programs.models import Program

WEEKS = 26
ITEM_LABELS = {
    "belonging": "Belonging",
    "stress": "Stress (lower is better)",
    "confidence": "Confidence",
    "energy": "Energy",
}
FIT_LABELS = {"good": "A good fit", "deciding": "Still deciding", "not_a_fit": "Not a fit"}


@dataclass
class Wellbeing:
    item: str
    label: str
    change: stats.PairedChange | None
    distribution: Table | None


@dataclass
class Dashboard:
    program: Program
    k: int
    as_of: dt.date | None
    computed_at: dt.datetime | None
    hidden_label: str
    funnel: list[tuple[str, int | None]] = field(default_factory=list)
    funnel_chart: SafeString | None = None
    time_to_first: dict[str, Any] = field(default_factory=dict)
    first_bins: Table | None = None
    weeks: list[tuple[dt.date, int, float]] = field(default_factory=list)
    cadence_chart: SafeString | None = None
    stalled: list[tuple[int, int]] = field(default_factory=list)
    stalled_total: int = 0
    goals: Table | None = None
    by_department: Table | None = None
    by_level: Table | None = None
    wellbeing: list[Wellbeing] = field(default_factory=list)
    wellbeing_n: int = 0
    wellbeing_chart: SafeString | None = None
    retention: dict[str, Any] | None = None
    retention_chart: SafeString | None = None
    fit: Table | None = None
    fit_chart: SafeString | None = None
    fit_average: float | None = None
    fit_rating_count: int = 0
    recommend: Table | None = None
    recommend_count: int = 0
    nps: int | None = None


def _table(data: dict[str, Any], k: int) -> Table | None:
    if not data.get("rows"):
        return None
    return suppress(data["cells"], k, list(data["rows"]), list(data["cols"]))


def weekly(program: Program, today: dt.date) -> list[tuple[dt.date, int, float]]:
    """Held and expected check-ins for the last WEEKS weeks, from the daily counts (1 query)."""
    first = today - dt.timedelta(days=7 * WEEKS - 1)
    held = [0] * WEEKS
    pair_days = [0] * WEEKS
    for day, metric, value in DailyCount.objects.filter(
        program=program,
        day__gte=first,
        day__lte=today,
        metric__in=["checkins_held", "active_pairs"],
    ).values_list("day", "metric", "value"):
        w = (day - first).days // 7
        if metric == "checkins_held":
            held[w] += value
        else:
            pair_days[w] += value
    cadence_days = 7 * program.checkin_every_weeks
    weeks = [
        (first + dt.timedelta(days=7 * w), held[w], round(pair_days[w] / cadence_days, 1))
        for w in range(WEEKS)
    ]
    # Skip the empty weeks before the program had any pairs.
    while weeks and weeks[0][1] == 0 and weeks[0][2] == 0:
        weeks.pop(0)
    return weeks


def build(program: Program, today: dt.date) -> Dashboard:
    k = program.organization.min_group_size
    snapshot = ProgramSnapshot.objects.filter(program=program).first()
    board = Dashboard(
        program=program,
        k=k,
        as_of=snapshot.as_of if snapshot else None,
        computed_at=snapshot.computed_at if snapshot else None,
        hidden_label=f"fewer than {k}",
    )
    board.weeks = weekly(program, today)
    if board.weeks:
        board.cadence_chart = charts.cadence("cadence", board.weeks)
    if snapshot is None:
        return board
    data = snapshot.data

    f = data["funnel"]
    labels = [
        ("eligible", "Eligible"),
        ("enrolled", "Enrolled"),
        ("matched", "Matched"),
        ("first_checkin", "Held a first check-in"),
        ("on_cadence", "Meeting on cadence (30 days)"),
    ]
    # Each step is a count of people in the program: a step below k is not shown.
    board.funnel = [(label, f[key] if not 0 < f[key] < k else None) for key, label in labels]
    board.funnel_chart = charts.funnel("funnel", board.funnel, board.hidden_label)
    ttf = data["time_to_first"]
    board.time_to_first = ttf if ttf["pairs_met"] >= k else {}
    if board.time_to_first:
        board.first_bins = suppress_1d(dict(ttf["bins"]), k, "Pairs")

    board.stalled = [(int(s[0]), int(s[1])) for s in data.get("stalled", [])]
    board.stalled_total = data.get("stalled_total", 0)
    board.goals = _table(data["goals"], k)
    board.by_department = _table(data["by_department"], k)
    board.by_level = _table(data["by_level"], k)

    forest_rows = []
    for item in PULSE_ITEMS:
        w = data["wellbeing"][item]
        board.wellbeing_n = max(board.wellbeing_n, w["n"])
        if w["n"] < k:
            board.wellbeing.append(Wellbeing(item, ITEM_LABELS[item], None, None))
            continue
        change = stats.paired_change(
            n=w["n"],
            sum_before=w["sum_before"],
            sum_after=w["sum_after"],
            sum_d=w["sum_d"],
            sum_d2=w["sum_d2"],
        )
        dist = suppress(
            [w["before"], w["after"]],
            k,
            ["At the start", "After 2+ months"],
            ["1", "2", "3", "4", "5"],
        )
        board.wellbeing.append(Wellbeing(item, ITEM_LABELS[item], change, dist))
        if change is not None:
            forest_rows.append((ITEM_LABELS[item], change.mean_change, change.low, change.high))
    if forest_rows:
        board.wellbeing_chart = charts.forest("wellbeing", forest_rows)

    r = data["retention"]
    if r["participants"] >= k and r["others"] >= k:
        curves: dict[str, list[tuple[float, float]]] = {}
        for name in ("participants", "others"):
            # Stop each curve where fewer than k people are still followed.
            curves[name] = [(p[0], p[1]) for p in r["curves"][name] if p[4] >= k]
        years = [
            y
            for i, y in enumerate(r["years"])
            if r["at_risk"]["participants"][i] >= k or r["at_risk"]["others"][i] >= k
        ]
        board.retention = {
            "participants": r["participants"],
            "others": r["others"],
            "events": r["events"],
            "logrank": r.get("logrank"),
            "rows": [
                (
                    y,
                    *(
                        (
                            r["survival_at"][g][i] if r["at_risk"][g][i] >= k else None,
                            r["at_risk"][g][i] if r["at_risk"][g][i] >= k else None,
                        )
                        for g in ("participants", "others")
                    ),
                )
                for i, y in enumerate(r["years"])
                if y in years
            ],
        }
        board.retention_chart = charts.survival("retention", curves, max(years, default=1))

    s = data["satisfaction"]
    fit_counts = {FIT_LABELS[a]: n for a, n in s["fit"].items()}
    if sum(fit_counts.values()):
        board.fit = suppress_1d(fit_counts, k, "Fit check answers")
        board.fit_chart = charts.bars(
            "fit",
            "Fit check after the first meeting",
            list(zip(board.fit.col_labels, board.fit.rows()[0][1], strict=True)),
            board.hidden_label,
        )
    ratings = s["fit_ratings"]
    board.fit_rating_count = sum(ratings)
    if board.fit_rating_count >= k:
        board.fit_average = round(
            sum((i + 1) * n for i, n in enumerate(ratings)) / board.fit_rating_count, 2
        )
    rec = s["recommend"]
    board.recommend_count = sum(rec)
    if board.recommend_count:
        groups = {
            "Detractors (0–6)": sum(rec[0:7]),
            "Passives (7–8)": sum(rec[7:9]),
            "Promoters (9–10)": sum(rec[9:11]),
        }
        board.recommend = suppress_1d(groups, k, "Closing survey")
        if board.recommend_count >= k:
            n = board.recommend_count
            board.nps = round(100 * (groups["Promoters (9–10)"] - groups["Detractors (0–6)"]) / n)
    return board


def csv_rows(board: Dashboard) -> list[list[str]]:
    """Every figure of the dashboard as (section, row, column, value); hidden cells are empty
    with `suppressed` in the last column. Aggregates only, never a row about a person."""
    out = [["section", "row", "column", "value", "note"]]

    def add(section: str, row: str, col: str, value: object, note: str = "") -> None:
        out.append([section, row, col, "" if value is None else str(value), note])

    for label, value in board.funnel:
        add("funnel", label, "people", value, "suppressed" if value is None else "")
    for key in ("pairs_met", "pairs_not_met", "median", "p25", "p75"):
        if board.time_to_first:
            add(
                "time_to_first_checkin",
                key,
                "days" if key[0] == "p" or key == "median" else "pairs",
                board.time_to_first.get(key),
            )
    for week, held, expected in board.weeks:
        add("cadence", week.isoformat(), "held", held)
        add("cadence", week.isoformat(), "expected", expected)
    tables = [
        ("first_checkin_days", board.first_bins),
        ("goals", board.goals),
        ("enrolled_by_department", board.by_department),
        ("enrolled_by_level", board.by_level),
        ("fit_check", board.fit),
        ("closing_survey", board.recommend),
    ]
    for w in board.wellbeing:
        if w.change is None:
            add("wellbeing", w.label, "paired answers", None, f"fewer than {board.k}")
            continue
        c = w.change
        figures: tuple[tuple[str, float], ...] = (
            ("n", c.n),
            ("mean_before", round(c.mean_before, 3)),
            ("mean_after", round(c.mean_after, 3)),
            ("mean_change", round(c.mean_change, 3)),
            ("ci95_low", round(c.low, 3)),
            ("ci95_high", round(c.high, 3)),
        )
        for col, figure in figures:
            add("wellbeing", w.label, col, figure)
        tables.append((f"wellbeing_distribution:{w.item}", w.distribution))
    for name, table in tables:
        if table is None:
            continue
        for label, cells, total in table.rows():
            for col, value in zip(table.col_labels, cells, strict=True):
                add(name, label, col, value, "suppressed" if value is None else "")
            add(name, label, "total", total, "suppressed" if total is None else "")
    if board.retention:
        for year, (s_p, n_p), (s_o, n_o) in board.retention["rows"]:
            add("retention", f"year {year}", "participants_still_here", s_p)
            add("retention", f"year {year}", "participants_at_risk", n_p)
            add("retention", f"year {year}", "others_still_here", s_o)
            add("retention", f"year {year}", "others_at_risk", n_o)
        if board.retention["logrank"]:
            add("retention", "log-rank", "chi2", board.retention["logrank"]["statistic"])
            add("retention", "log-rank", "p_value", board.retention["logrank"]["p_value"])
    if board.fit_average is not None:
        add("fit_rating", "average", "1-5", board.fit_average)
    if board.nps is not None:
        add("closing_survey", "NPS", "score", board.nps)
    return out
