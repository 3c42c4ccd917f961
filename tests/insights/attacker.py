"""A curious program manager (issue 17): builds nothing, reads only the insights page and its
CSV, at chosen moments, after the hourly job ran as the worker runs it. Also the data builders
the attacks share, which go through the services people's own actions go through."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World, client_for
from twoway.feedback.services import fit_check_set, pulse_record
from twoway.insights.aggregate import insights_refresh
from twoway.insights.services import closing_survey_answer
from twoway.meetings.services import checkin_log_informal
from twoway.people.models import Department, Person
from twoway.programs.models import Partnership, Program, ProgramStatus
from twoway.programs.services import partnership_create, partnership_end

DAY0 = dt.date(2026, 3, 2)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


@contextmanager
def on(day: dt.date, hour: int = 12) -> Iterator[None]:
    with time_machine.travel(at(day, hour), tick=False):
        yield


def job(day: dt.date) -> None:
    """The hourly refresh, at 03:00 on that day, as the worker calls it."""
    with on(day, 3):
        insights_refresh(timezone.now())


def program(w: World, name: str = "Peers") -> Program:
    return Program.objects.create(organization=w.acme, name=name, status=ProgramStatus.OPEN)


def folks(w: World, n: int, prefix: str, department: Department | None = None) -> list[Person]:
    return [
        Person.objects.create(
            organization=w.acme,
            name=f"{prefix} {i}",
            email=f"{prefix.lower().replace(' ', '')}{i}@acme.example",
            level=3,
            department=department,
            hire_date=DAY0 - dt.timedelta(days=500 + i),
        )
        for i in range(n)
    ]


def pairs(prog: Program, people: list[Person], start: dt.date) -> list[Partnership]:
    with on(start, 8):
        return [
            partnership_create(
                program=prog, people=[people[i], people[i + 1]], source="hand", start=start
            )
            for i in range(0, len(people) - 1, 2)
        ]


def meet(partnership: Partnership, day: dt.date) -> None:
    by = partnership.members.first().person  # type: ignore[union-attr]
    with on(day, 18):
        checkin_log_informal(
            partnership=partnership, by=by, start=at(day, 9), minutes=30, summary=""
        )


def pulse(person: Person, day: dt.date, **scores: int) -> None:
    values = {"belonging": 3, "stress": 3, "confidence": 3, "energy": 3, **scores}
    with on(day, 17):
        pulse_record(person=person, scores=values)


def fit(partnership: Partnership, person: Person, answer: str, day: dt.date) -> None:
    with on(day, 17):
        fit_check_set(partnership=partnership, person=person, answer=answer)


def end(partnership: Partnership, by: Person, day: dt.date, rating: int | None = None) -> None:
    with on(day, 16):
        partnership_end(partnership=partnership, by=by, completed=True, fit_rating=rating)


def recommend(partnership: Partnership, person: Person, value: int, day: dt.date) -> None:
    with on(day, 17):
        closing_survey_answer(
            partnership=Partnership.objects.get(pk=partnership.pk), person=person, recommend=value
        )


@dataclass
class Reading:
    page: str
    rows: list[list[str]]

    def get(self, section: str, row: str, col: str) -> str | None:
        found = [r[3] for r in self.rows if r[0] == section and r[1] == row and r[2] == col]
        return found[0] if found else None

    def number(self, section: str, row: str, col: str) -> float | None:
        value = self.get(section, row, col)
        return None if value in (None, "") else float(value)  # type: ignore[arg-type]

    def section(self, name: str) -> list[list[str]]:
        return [r for r in self.rows if r[0] == name]


def read(w: World, prog: Program, day: dt.date) -> Reading:
    """The page and the CSV, as Bob (a program manager) sees them at noon that day."""
    kwargs = {"org_slug": w.acme.slug, "program_id": prog.pk}
    with on(day):
        client = client_for(w.bob)
        page = client.get(reverse("program_insights", kwargs=kwargs))
        export = client.get(reverse("program_insights_csv", kwargs=kwargs))
    assert page.status_code == 200 and export.status_code == 200
    return Reading(
        page.content.decode(), list(csv.reader(io.StringIO(export.content.decode())))[1:]
    )


def table(
    reading: Reading, section: str
) -> tuple[list[str], list[str], list[list[int | None]], list[int | None]]:
    """A published table from the CSV: rows, columns, cells (None = hidden), row totals."""
    rows_seen: list[str] = []
    cols_seen: list[str] = []
    values: dict[tuple[str, str], int | None] = {}
    for _, row, col, value, _ in reading.section(section):
        if row not in rows_seen:
            rows_seen.append(row)
        if col != "total" and col not in cols_seen:
            cols_seen.append(col)
        values[(row, col)] = None if value == "" else int(value)
    cells = [[values[(r, c)] for c in cols_seen] for r in rows_seen]
    totals = [values[(r, "total")] for r in rows_seen]
    return rows_seen, cols_seen, cells, totals


def solutions(
    cells: list[list[int | None]],
    row_totals: list[int | None],
    col_totals: list[int | None],
    sums: list[tuple[list[list[float]], float]],
    limit: int,
) -> list[dict[tuple[int, int], int]]:
    """Every way to fill the hidden cells with whole numbers 0 … limit that agrees with all
    the shown cells, totals and weighted sums (a reader's exact reasoning, by enumeration:
    cell by cell, never past what a known row or column total still leaves)."""
    hidden = [(i, j) for i, row in enumerate(cells) for j, v in enumerate(row) if v is None]
    n_rows, n_cols = len(cells), len(cells[0])
    row_left = [
        None if t is None else t - sum(v or 0 for v in cells[i]) for i, t in enumerate(row_totals)
    ]
    col_left = [
        None if t is None else t - sum(cells[i][j] or 0 for i in range(n_rows))
        for j, t in enumerate(col_totals)
    ]
    last_in_row = {
        i: max((n for n, (r, _) in enumerate(hidden) if r == i), default=-1) for i in range(n_rows)
    }
    last_in_col = {
        j: max((n for n, (_, c) in enumerate(hidden) if c == j), default=-1) for j in range(n_cols)
    }
    found: list[dict[tuple[int, int], int]] = []
    guess: list[int] = []

    def check_sums() -> bool:
        full = [[v or 0 for v in row] for row in cells]
        for (i, j), v in zip(hidden, guess, strict=True):
            full[i][j] = v
        return all(
            abs(sum(w[i][j] * full[i][j] for i in range(n_rows) for j in range(n_cols)) - s) < 1e-6
            for w, s in sums
        )

    def step(n: int) -> None:
        if any(left is not None and left < 0 for left in row_left + col_left):
            return
        if n == len(hidden):
            if all(left in (None, 0) for left in row_left + col_left) and check_sums():
                found.append(dict(zip(hidden, guess, strict=True)))
            return
        i, j = hidden[n]
        top = min(v for v in (limit, row_left[i], col_left[j]) if v is not None)
        for v in range(top + 1):
            if n == last_in_row[i] and row_left[i] is not None and v != row_left[i]:
                continue
            if n == last_in_col[j] and col_left[j] is not None and v != col_left[j]:
                continue
            guess.append(v)
            if row_left[i] is not None:
                row_left[i] -= v  # type: ignore[operator]
            if col_left[j] is not None:
                col_left[j] -= v  # type: ignore[operator]
            step(n + 1)
            if row_left[i] is not None:
                row_left[i] += v  # type: ignore[operator]
            if col_left[j] is not None:
                col_left[j] += v  # type: ignore[operator]
            guess.pop()

    step(0)
    return found


def recovered_small_cells(found: list[dict[tuple[int, int], int]], k: int) -> list[tuple[int, int]]:
    """Hidden cells that take the same value 1 … k-1 in every solution."""
    if not found:
        return []
    return [
        cell for cell in found[0] if len({f[cell] for f in found}) == 1 and 0 < found[0][cell] < k
    ]
