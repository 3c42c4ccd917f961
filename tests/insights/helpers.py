"""Builders for insight tests: a program in Acme with pairs, check-ins and pulse answers."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.conftest import World
from twoway.feedback.models import PulseResponse
from twoway.insights.aggregate import refresh_org
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.people.models import Person
from twoway.programs.models import (
    Enrolment,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
    ProgramStatus,
)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def people(w: World, n: int, prefix: str = "p") -> list[Person]:
    today = timezone.localdate()
    return [
        Person.objects.create(
            organization=w.acme,
            name=f"{prefix.title()} Person {i:03d}",
            email=f"{prefix}{i}@acme.example",
            level=3,
            hire_date=today - dt.timedelta(days=400 + 10 * i),
        )
        for i in range(n)
    ]


def pair(
    program: Program,
    a: Person,
    b: Person,
    *,
    started_days_ago: int,
    held_days_after_start: list[int] = (),  # type: ignore[assignment]
    status: str = PartnershipStatus.ACTIVE,
) -> Partnership:
    today = timezone.localdate()
    start = today - dt.timedelta(days=started_days_ago)
    p = Partnership.objects.create(
        organization=program.organization,
        program=program,
        status=status,
        source="round",
        started_on=start,
        ended_at=None if status == PartnershipStatus.ACTIVE else at(today - dt.timedelta(days=1)),
    )
    for person in (a, b):
        PartnershipMember.objects.create(partnership=p, person=person)
        Enrolment.objects.get_or_create(
            program=program,
            person=person,
            defaults={"created": at(start - dt.timedelta(days=3))},
        )
    for d in held_days_after_start:
        CheckIn.objects.create(
            partnership=p,
            scheduled_start=at(start + dt.timedelta(days=d)),
            status=CheckinStatus.HELD,
        )
    return p


def pulse(person: Person, day: dt.date, **scores: int) -> PulseResponse:
    values = {"belonging": 3, "stress": 3, "confidence": 3, "energy": 3, **scores}
    return PulseResponse.objects.create(person=person, created=at(day, 18), **values)


def program_with_wellbeing(
    w: World, before: list[int], after: list[int], name: str = "Peers"
) -> Program:
    """One pair per two answers: person i answered belonging before[i] five days before the
    start and after[i] seventy days after it."""
    program = Program.objects.create(organization=w.acme, name=name, status=ProgramStatus.OPEN)
    folks = people(w, len(before) + len(before) % 2, prefix=name.lower())
    today = timezone.localdate()
    for i in range(0, len(folks), 2):
        pair(program, folks[i], folks[i + 1], started_days_ago=100, held_days_after_start=[10, 24])
    start = today - dt.timedelta(days=100)
    for person, b, a in zip(folks, before, after, strict=False):
        pulse(person, start - dt.timedelta(days=5), belonging=b)
        pulse(person, start + dt.timedelta(days=70), belonging=a)
    return program


def refresh(w: World) -> None:
    today = timezone.localdate()
    refresh_org(w.acme, start=today - dt.timedelta(days=200), end=today)
