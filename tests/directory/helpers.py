"""Building HR files for the directory tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

HEADER = [
    "Email",
    "Employee ID",
    "Name",
    "Level",
    "Department",
    "Team",
    "Manager",
    "Location",
    "Time zone",
    "Hire date",
    "Status",
    "Leaving date",
    "Offers",
    "Seeks",
]


def csv_text(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def person_row(
    n: int,
    *,
    manager: str = "",
    team: str = "Platform",
    department: str = "Engineering",
    level: int = 3,
    status: str = "active",
    left_on: str = "",
    offers: str = "SQL:3",
    seeks: str = "Public speaking:2",
    name: str | None = None,
) -> list[object]:
    return [
        f"p{n}@new.example",
        f"E{n:05d}",
        name or f"Person {n}",
        level,
        department,
        team,
        manager,
        "Berlin",
        "Europe/Berlin",
        "2021-04-01",
        status,
        left_on,
        offers,
        seeks,
    ]


def can_sign_in(email: str, password: str) -> bool:
    """Through the real sign-in page (and its throttling backend), as a person would."""
    from django.test import Client
    from django.urls import reverse

    response = Client().post(reverse("login"), {"username": email, "password": password})
    return response.status_code == 302
