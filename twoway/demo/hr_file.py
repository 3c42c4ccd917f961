"""A realistic HR export of any size, for the import benchmark and the browser test.

Deterministic for a seed: a CEO, a head per department, team leads, everyone else under a team
lead; managers named by email or by employee id (both happen in real exports); some people on
leave and some who left, with their leaving dates; skills in the matching CLI's notation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from twoway.demo.seed import DEPARTMENTS, FIRST, LAST, PLACE_WEIGHTS, PLACES

HEADER = [
    "Employee ID",
    "Email",
    "First name",
    "Last name",
    "Job title",
    "Level",
    "Department",
    "Team",
    "Manager",
    "Location",
    "Time zone",
    "Hire date",
    "Status",
    "Termination date",
    "Offers",
    "Seeks",
]


def sample_rows(
    people: int, *, seed: int = 1, leavers: float = 0.05, today: dt.date | None = None
) -> list[dict[str, str]]:
    rng = random.Random(seed)
    today = today or dt.date(2026, 1, 15)
    departments = list(DEPARTMENTS)
    rows: list[dict[str, str]] = []

    def add(
        level: int, department: str, team: str, manager: dict[str, str] | None
    ) -> dict[str, str]:
        n = len(rows) + 1
        first, last = rng.choice(FIRST), rng.choice(LAST)
        spec = DEPARTMENTS[department]
        skills = list(spec["skills"])  # type: ignore[call-overload]
        offers = rng.sample(skills, k=min(2, len(skills)))
        seeks = [s for s in rng.sample(skills, k=min(3, len(skills))) if s not in offers][:2]
        place, tz = rng.choices(PLACES, weights=PLACE_WEIGHTS)[0]
        hired = today - dt.timedelta(days=rng.randint(30, 365 * (2 + level)))
        row = {
            "Employee ID": f"E{n:06d}",
            "Email": f"{first}.{last}.{n}@example.com".lower().replace("'", ""),
            "First name": first,
            "Last name": last,
            "Job title": rng.choice(spec["titles"]),  # type: ignore[arg-type]
            "Level": str(level),
            "Department": department,
            "Team": team,
            "Manager": ""
            if manager is None
            else (manager["Email"] if n % 2 else manager["Employee ID"]),
            "Location": place,
            "Time zone": tz,
            "Hire date": hired.isoformat(),
            "Status": "active",
            "Termination date": "",
            "Offers": "; ".join(f"{s}:{rng.randint(1, 3)}" for s in offers),
            "Seeks": "; ".join(f"{s}:{rng.randint(1, 3)}" for s in seeks),
        }
        rows.append(row)
        return row

    ceo = add(8, departments[0], "Leadership", None)
    heads = {d: add(7, d, "Leadership", ceo) for d in departments}
    leads: list[dict[str, str]] = []
    per_team = 12
    teams_needed = max(len(departments), (people - 1 - len(departments)) // per_team)
    for i in range(teams_needed):
        department = departments[i % len(departments)]
        names: list[str] = DEPARTMENTS[department]["teams"]  # type: ignore[assignment]
        team = f"{names[(i // len(departments)) % len(names)]} {i // len(departments) + 1}"
        if len(rows) >= people:
            break
        leads.append(add(rng.choice((5, 6)), department, team, heads[department]))
    while len(rows) < people:
        lead = leads[(len(rows) * 7919) % len(leads)]
        add(rng.randint(1, 4), lead["Department"], lead["Team"], lead)
    for row in rows[1 + len(departments) :]:
        roll = rng.random()
        if roll < leavers:
            hired = dt.date.fromisoformat(row["Hire date"])
            days = max(1, (today - hired).days - 1)
            row["Status"] = "terminated"
            row["Termination date"] = (hired + dt.timedelta(days=rng.randint(1, days))).isoformat()
        elif roll < leavers + 0.02:
            row["Status"] = "leave"
    return rows[:people]


def to_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def sample_hr_csv(
    people: int, *, seed: int = 1, leavers: float = 0.05, today: dt.date | None = None
) -> str:
    return to_csv(sample_rows(people, seed=seed, leavers=leavers, today=today))
