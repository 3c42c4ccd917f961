"""What the program dashboard shows: the published figures only (`twoway.insights.release`).

Nothing here computes a figure from people's rows or decides what may be shown: the job has
published each figure group with the release rules, and this module lays them out for the
page and the CSV. The one live read is the weekly cadence series from the daily counts, where
weeks with fewer than k active pairs are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString

from twoway.insights import charts, stats
from twoway.insights.metrics import PULSE_ITEMS
from twoway.insights.models import DailyCount, Release
from twoway.insights.release import FIT_LABELS, ITEM_LABELS, effective_k, latest
from twoway.insights.suppression import Published
from twoway.programs.models import Program

WEEKS = 26
HOURLY = "hourly"
ON_NEW_ANSWERS = "on_new_answers"


@dataclass
class Wellbeing:
    item: str
    label: str
    change: stats.PairedChange | None
    distribution: Published | None


@dataclass
class Freshness:
    """How fresh one section is, and what its protection costs, in words for the page."""

    at: dt.datetime | None
    rule: str
    rechecking: bool = False


@dataclass
class Dashboard:
    program: Program
    k: int
    org_k: int
    as_of: dt.date | None
    computed_at: dt.datetime | None
    hidden_label: str
    fresh: dict[str, Freshness] = field(default_factory=dict)
    funnel: list[tuple[str, int | None]] = field(default_factory=list)
    funnel_chart: SafeString | None = None
    pairs_not_met: int | None = None
    time_to_first: dict[str, Any] = field(default_factory=dict)
    first_bins: Published | None = None
    weeks: list[tuple[dt.date, int | None, float | None]] = field(default_factory=list)
    cadence_chart: SafeString | None = None
    stalled: list[tuple[int, int]] = field(default_factory=list)
    stalled_total: int = 0
    goals: Published | None = None
    goals_any: bool = False
    by_department: Published | None = None
    by_level: Published | None = None
    wellbeing: list[Wellbeing] = field(default_factory=list)
    wellbeing_n: int = 0
    wellbeing_chart: SafeString | None = None
    retention: dict[str, Any] | None = None
    retention_chart: SafeString | None = None
    fit: Published | None = None
    fit_chart: SafeString | None = None
    fit_average: float | None = None
    fit_rating_count: int = 0
    recommend: Published | None = None
    recommend_count: int = 0
    nps: int | None = None


def weekly(
    program: Program, today: dt.date, k: int
) -> list[tuple[dt.date, int | None, float | None]]:
    """Held and expected check-ins for the last WEEKS weeks, from the daily counts (1 query).
    A week with fewer than k active pairs on average shows neither: with one pair it would be
    that pair's meeting diary."""
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
    weeks: list[tuple[dt.date, int | None, float | None]] = []
    for w in range(WEEKS):
        week = first + dt.timedelta(days=7 * w)
        if held[w] == 0 and pair_days[w] == 0 and not weeks:
            continue  # the empty weeks before the program had any pairs
        if pair_days[w] < 7 * k:
            weeks.append((week, None, None))
        else:
            weeks.append((week, held[w], round(pair_days[w] / cadence_days, 1)))
    return weeks


def _usable(r: Release | None, k: int) -> Release | None:
    """A publication made at a smaller k than today's waits for the next refresh to be checked
    again at the new size."""
    return r if r is not None and r.k >= k else None


def build(program: Program, today: dt.date) -> Dashboard:
    org = program.organization
    k = effective_k(org)
    releases = latest(program)
    operational = releases.get("funnel")
    board = Dashboard(
        program=program,
        k=k,
        org_k=org.min_group_size,
        as_of=operational.released_at.date() if operational else None,
        computed_at=operational.released_at if operational else None,
        hidden_label=f"fewer than {k}",
    )
    for family in ("funnel", "goals", "retention", "stalled"):
        r = releases.get(family)
        board.fresh[family] = Freshness(r.released_at if r else None, HOURLY, bool(r and r.k < k))
    for family in ("wellbeing", "fit_check", "fit_rating", "closing_survey", "time_to_first"):
        r = releases.get(family)
        board.fresh[family] = Freshness(
            r.released_at if r else None, ON_NEW_ANSWERS, bool(r and r.k < k)
        )
    board.weeks = weekly(program, today, k)
    if board.weeks:
        board.cadence_chart = charts.cadence("cadence", board.weeks, board.hidden_label)

    funnel = _usable(operational, k)
    if funnel is not None:
        f = funnel.published["figures"]
        board.funnel = [(label, value) for _, label, value in f["steps"]]
        board.funnel_chart = charts.funnel("funnel", board.funnel, board.hidden_label)
        board.pairs_not_met = f["pairs_not_met"]
        board.by_department = Published.of(f["by_department"]) if f["by_department"] else None
        board.by_level = Published.of(f["by_level"]) if f["by_level"] else None
    stalled = _usable(releases.get("stalled"), k)
    if stalled is not None:
        s = stalled.published["figures"]
        board.stalled = [(int(p[0]), int(p[1])) for p in s["pairs"]]
        board.stalled_total = s["total"]
    goals = _usable(releases.get("goals"), k)
    if goals is not None:
        g = goals.published["figures"]
        board.goals = Published.of(g["table"]) if g["table"] else None
        board.goals_any = g["any"]

    ttf = _usable(releases.get("time_to_first"), k)
    if ttf is not None:
        t = ttf.published
        board.time_to_first = {"pairs_met": t["pairs"], "half_within": t["half_within"]}
        board.first_bins = Published.of(t["tables"]["bins"])

    wellbeing = _usable(releases.get("wellbeing"), k)
    forest_rows = []
    for item in PULSE_ITEMS:
        if wellbeing is None:
            board.wellbeing.append(Wellbeing(item, ITEM_LABELS[item], None, None))
            continue
        w = wellbeing.published
        figures = w["items"][item]
        change = stats.PairedChange(**figures) if figures else None
        table = w["tables"].get(item)
        board.wellbeing.append(
            Wellbeing(item, ITEM_LABELS[item], change, Published.of(table) if table else None)
        )
        board.wellbeing_n = w["n"]
        if change is not None:
            forest_rows.append((ITEM_LABELS[item], change.mean_change, change.low, change.high))
    if forest_rows:
        board.wellbeing_chart = charts.forest("wellbeing", forest_rows)

    retention = _usable(releases.get("retention"), k)
    if retention is not None and retention.published["figures"]:
        r = retention.published["figures"]
        board.retention = r
        board.retention_chart = charts.survival(
            "retention",
            {name: [(p[0], p[1]) for p in points] for name, points in r["curves"].items()},
            int(r["years"]),
        )

    fit = _usable(releases.get("fit_check"), k)
    if fit is not None:
        board.fit = Published.of(fit.published["tables"]["answers"])
        board.fit_chart = charts.bars(
            "fit",
            "Fit check after the first meeting",
            list(zip(board.fit.col_labels, board.fit.cells[0], strict=True)),
            board.hidden_label,
        )
    rating = _usable(releases.get("fit_rating"), k)
    if rating is not None:
        board.fit_rating_count = rating.published["n"]
        board.fit_average = rating.published["average"]
    survey = _usable(releases.get("closing_survey"), k)
    if survey is not None:
        board.recommend = Published.of(survey.published["tables"]["answers"])
        board.recommend_count = survey.published["n"]
        board.nps = survey.published["nps"]
    return board


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run: text starting with =, +, -, @, a tab or a
    carriage return is a formula to Excel, LibreOffice and Google Sheets (OWASP's CSV
    injection advice: prefix a single quote). Numbers are written as numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        return "'" + text
    return text


def csv_rows(board: Dashboard) -> list[list[str]]:
    """Every figure of the dashboard as (section, row, column, value, note); hidden cells are
    empty with `suppressed` in the note. Aggregates only, never a row about a person."""
    out = [["section", "row", "column", "value", "note"]]

    def add(section: str, row: str, col: str, value: object, note: str = "") -> None:
        out.append([_cell(section), _cell(row), _cell(col), _cell(value), _cell(note)])

    for family, fresh in board.fresh.items():
        add(
            "published",
            family,
            "at",
            fresh.at.isoformat() if fresh.at else None,
            "every hour" if fresh.rule == HOURLY else f"when at least {board.k} more have answered",
        )
    add("published", "minimum group size", "k", board.k)
    for label, value in board.funnel:
        add("funnel", label, "people", value, "suppressed" if value is None else "")
    if board.funnel:
        add(
            "time_to_first_checkin",
            "pairs_not_met",
            "pairs",
            board.pairs_not_met,
            "suppressed" if board.pairs_not_met is None else "",
        )
    if board.time_to_first:
        add("time_to_first_checkin", "pairs_met", "pairs", board.time_to_first["pairs_met"])
        add("time_to_first_checkin", "half_met_within", "days", board.time_to_first["half_within"])
    for week, held, expected in board.weeks:
        note = "" if held is not None else f"fewer than {board.k} pairs"
        add("cadence", week.isoformat(), "held", held, note)
        add("cadence", week.isoformat(), "expected", expected, note)
    tables: list[tuple[str, Published | None]] = [
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
        for group, value in board.retention["events"].items():
            add("retention", "leavers", group, value, "suppressed" if value is None else "")
        if board.retention["logrank"]:
            add("retention", "log-rank", "chi2", board.retention["logrank"]["statistic"])
            add("retention", "log-rank", "p_value", board.retention["logrank"]["p_value"])
    if board.fit_average is not None:
        add("fit_rating", "average", "1-5", board.fit_average)
        add("fit_rating", "ratings", "n", board.fit_rating_count)
    if board.nps is not None:
        add("closing_survey", "NPS", "score", board.nps)
    return out


__all__ = ["FIT_LABELS", "Dashboard", "build", "csv_rows"]
