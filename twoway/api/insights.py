"""/programs/{id}/insights: the figures of the program dashboard, suppressed as the page shows
them. A thin adapter over `twoway.insights.dashboard.build` and `csv_rows` (the dashboard's own
CSV export): a figure below the organization's minimum group size is null here as it is blank
there, and nothing about one person is in it."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema

from twoway.api.core import Id, answers, need
from twoway.api.models import Scope
from twoway.insights import dashboard
from twoway.programs.models import Program

router = Router(tags=["Insights"])


class Figure(Schema):
    section: str
    row: str
    column: str
    value: float | str | None = Field(
        ..., description="A number (a date or a label for some rows); null when suppressed."
    )
    note: str


class InsightsOut(Schema):
    program_id: int
    min_group_size: int = Field(..., description="Figures about fewer people are not shown.")
    as_of: dt.date | None
    computed_at: dt.datetime | None
    figures: list[Figure]


def _plain(text: str) -> str:
    """The CSV guards text a spreadsheet would run with a leading quote; JSON needs no guard."""
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        return text[1:]
    return text


def _number(text: str) -> float | str | None:
    if not text:
        return None
    try:
        return float(_plain(text))
    except ValueError:
        return _plain(text)  # a release's date, a label


@router.get(
    "/programs/{program_id}/insights", response=answers(InsightsOut), summary="Program insights"
)
def read_insights(request: object, program_id: Id) -> InsightsOut:
    """Scope `insights:read`. Aggregates only: the funnel, cadence, time to a first check-in,
    goals, wellbeing change, retention, fit and the closing survey, as on the dashboard."""
    key = need(request, Scope.INSIGHTS_READ)  # type: ignore[arg-type]
    program = get_object_or_404(
        Program.objects.select_related("organization"), organization=key.organization, pk=program_id
    )
    board = dashboard.build(program, timezone.localdate())
    header, *rows = dashboard.csv_rows(board)
    assert header == ["section", "row", "column", "value", "note"]
    return InsightsOut(
        program_id=program.pk,
        min_group_size=board.k,
        as_of=board.as_of,
        computed_at=board.computed_at,
        figures=[
            Figure(
                section=_plain(section),
                row=_plain(row),
                column=_plain(column),
                value=_number(value),
                note=_plain(note),
            )
            for section, row, column, value, note in rows
        ],
    )
