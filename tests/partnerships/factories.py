"""Objects of the partnership space for the shared personas: alice and bob (members) in Acme;
carol (org admin) and dave (Globex) are not members. Made once per World and cached on it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.conftest import World
from twoway.goals.models import Goal
from twoway.goals.services import goal_create
from twoway.meetings.models import CheckIn, CheckinSeries
from twoway.meetings.services import checkin_schedule_set
from twoway.programs.models import Partnership, Program, ProgramStatus
from twoway.programs.services import partnership_create


def program(w: World) -> Program:
    found: Program | None = getattr(w, "_program", None)
    if found is None:
        found = Program.objects.create(
            organization=w.acme,
            name="Peer partners",
            status=ProgramStatus.OPEN,
            hr_contact_name="Hana Hill",
            hr_contact_email="hr@acme.example",
        )
        w._program = found  # type: ignore[attr-defined]
    return found


def pair(w: World) -> Partnership:
    found: Partnership | None = getattr(w, "_pair", None)
    if found is None:
        found = partnership_create(
            program=program(w),
            people=[w.alice_person, w.bob_person],
            source="hand",
            start=timezone.localdate() - dt.timedelta(weeks=4),
        )
        w._pair = found  # type: ignore[attr-defined]
    return found


def goal(w: World) -> Goal:
    found: Goal | None = getattr(w, "_goal", None)
    if found is None:
        found = goal_create(
            partnership=pair(w), owner=w.alice_person, title="Learn client discovery"
        )
        w._goal = found  # type: ignore[attr-defined]
    return found


def series(w: World) -> CheckinSeries:
    found: CheckinSeries | None = getattr(w, "_series", None)
    if found is None:
        found = checkin_schedule_set(
            partnership=pair(w),
            by=w.alice_person,
            weekday=1,
            local_time=dt.time(10, 0),
            time_zone="Europe/Berlin",
            every_weeks=2,
            duration_minutes=30,
            mode="video",
            location="https://meet.example/acme",
        )
        w._series = found  # type: ignore[attr-defined]
    return found


def past_checkin(w: World) -> CheckIn:
    """A check-in that has happened (an informal one, logged as held)."""
    found: CheckIn | None = getattr(w, "_checkin", None)
    if found is None:
        found = CheckIn.objects.create(
            partnership=pair(w),
            scheduled_start=timezone.now() - dt.timedelta(days=2),
            duration_minutes=30,
            status="held",
        )
        w._checkin = found  # type: ignore[attr-defined]
    return found
