"""/programs, /partnerships: what programs run and how pairs are doing — counts, never notes,
pulse answers, feedback or ending reasons."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from twoway.api.core import Cursor, Id, answers, make_cursor, need, read_cursor
from twoway.api.models import Scope
from twoway.meetings.models import CheckinStatus
from twoway.programs.models import (
    Enrolment,
    EnrolmentStatus,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
    ProgramStatus,
)
from twoway.programs.tally import enrolled_counts

router = Router(tags=["Programs"])


class ProgramOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    status: str
    term_weeks: int
    checkin_every_weeks: int
    checkin_minutes: int
    matching_mode: str
    enrolment_opens: dt.date | None
    enrolment_closes: dt.date | None
    enrolled: int
    created: dt.datetime

    @staticmethod
    def of(program: Program) -> ProgramOut:
        return ProgramOut(
            id=program.pk,
            name=program.name,
            description=program.description,
            kind=program.kind,
            status=program.status,
            term_weeks=program.term_weeks,
            checkin_every_weeks=program.checkin_every_weeks,
            checkin_minutes=program.checkin_minutes,
            matching_mode=program.matching_mode,
            enrolment_opens=program.enrolment_opens,
            enrolment_closes=program.enrolment_closes,
            enrolled=getattr(program, "enrolled", 0),
            created=program.created,
        )


class EnrolmentOut(Schema):
    person_id: int
    status: str
    role: str
    capacity: int
    created: dt.datetime


class EnrolmentPage(Schema):
    items: list[EnrolmentOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class EnrolmentFilter(Schema):
    # An unknown parameter is a typo the caller wants to hear about (`?limt=10`).
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None
    status: EnrolmentStatus | None = None


class MemberOut(Schema):
    person_id: int
    role: str


class CheckinCounts(Schema):
    held: int
    missed: int
    cancelled: int
    scheduled: int
    last_held: dt.datetime | None


class PartnershipOut(Schema):
    id: int
    program_id: int
    status: str
    source: str
    score: float | None
    started_on: dt.date | None
    ends_on: dt.date | None
    ended_at: dt.datetime | None
    members: list[MemberOut]
    checkins: CheckinCounts


class PartnershipPage(Schema):
    items: list[PartnershipOut]
    next_cursor: str | None = None


class PartnershipFilter(Schema):
    # An unknown parameter is a typo the caller wants to hear about (`?limt=10`).
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None
    program_id: Id | None = None
    status: PartnershipStatus | None = None


class ProgramFilter(Schema):
    # An unknown parameter is a typo the caller wants to hear about (`?limt=10`).
    model_config = ConfigDict(extra="forbid")

    status: ProgramStatus | None = None


def _programs(request: object, query: type[Schema] | None = None) -> QuerySet[Program]:
    key = need(request, Scope.PROGRAMS_READ, query)  # type: ignore[arg-type]
    return Program.objects.filter(organization=key.organization)


def _with_enrolled(programs: list[Program]) -> list[Program]:
    # The program page's kept counts: counting 50,000 enrolments on each call was most of it.
    enrolled = enrolled_counts(programs)
    for program in programs:
        program.enrolled = enrolled[program.pk]  # type: ignore[attr-defined]
    return programs


@router.get("/programs", response=answers(list[ProgramOut]), summary="List programs")
def list_programs(request: object, filters: Query[ProgramFilter]) -> list[ProgramOut]:
    """Scope `programs:read`."""
    programs = _programs(request, ProgramFilter).order_by("pk")
    if filters.status:
        programs = programs.filter(status=filters.status)
    return [ProgramOut.of(p) for p in _with_enrolled(list(programs))]


@router.get("/programs/{program_id}", response=answers(ProgramOut), summary="Read a program")
def read_program(request: object, program_id: Id) -> ProgramOut:
    """Scope `programs:read`."""
    program = get_object_or_404(_programs(request), pk=program_id)
    return ProgramOut.of(_with_enrolled([program])[0])


@router.get(
    "/programs/{program_id}/enrolments",
    response=answers(EnrolmentPage),
    summary="List enrolments",
)
def list_enrolments(
    request: object, program_id: Id, filters: Query[EnrolmentFilter]
) -> EnrolmentPage:
    """Scope `programs:read`. Who joined and in which role, a page at a time, ordered by when
    they joined; never their intake's goals."""
    key = need(request, Scope.PROGRAMS_READ, EnrolmentFilter)  # type: ignore[arg-type]
    program = get_object_or_404(
        Program.objects.filter(organization=key.organization), pk=program_id
    )
    enrolments = Enrolment.objects.filter(program=program, pk__gt=read_cursor(filters.cursor))
    if filters.status:
        enrolments = enrolments.filter(status=filters.status)
    page = list(
        enrolments.order_by("pk").values_list(
            "pk", "person_id", "status", "role", "capacity", "created", named=True
        )[: filters.limit + 1]
    )
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return EnrolmentPage(
        items=[
            EnrolmentOut(
                person_id=e.person_id,
                status=e.status,
                role=e.role,
                capacity=e.capacity,
                created=e.created,
            )
            for e in page
        ],
        next_cursor=make_cursor(page[-1].pk) if more and page else None,
    )


def _partnerships(
    request: object, query: type[Schema] | None = None, scope: Scope = Scope.PROGRAMS_READ
) -> QuerySet[Partnership]:
    key = need(request, scope, query)  # type: ignore[arg-type]
    counts = {
        name: Count("checkins", filter=Q(checkins__status=status), distinct=True)
        for name, status in (
            ("held_count", CheckinStatus.HELD),
            ("missed_count", CheckinStatus.MISSED),
            ("cancelled_count", CheckinStatus.CANCELLED),
            ("scheduled_count", CheckinStatus.SCHEDULED),
        )
    }
    return (
        Partnership.objects.filter(organization=key.organization)
        .annotate(**counts)
        .prefetch_related(Prefetch("members", queryset=PartnershipMember.objects.order_by("pk")))
        .order_by("pk")
    )


def _partnership_out(p: Partnership) -> PartnershipOut:
    return PartnershipOut(
        id=p.pk,
        program_id=p.program_id,
        status=p.status,
        source=p.source,
        score=p.score,
        started_on=p.started_on,
        ends_on=p.ends_on,
        ended_at=p.ended_at,
        members=[MemberOut(person_id=m.person_id, role=m.role) for m in p.members.all()],
        checkins=CheckinCounts(
            held=p.held_count,  # type: ignore[attr-defined]
            missed=p.missed_count,  # type: ignore[attr-defined]
            cancelled=p.cancelled_count,  # type: ignore[attr-defined]
            scheduled=p.scheduled_count,  # type: ignore[attr-defined]
            last_held=p.last_held,  # type: ignore[attr-defined]
        ),
    )


def _with_last_held(queryset: QuerySet[Partnership]) -> QuerySet[Partnership]:
    from django.db.models import Max

    return queryset.annotate(
        last_held=Max("checkins__scheduled_start", filter=Q(checkins__status=CheckinStatus.HELD))
    )


@router.get("/partnerships", response=answers(PartnershipPage), summary="List partnerships")
def list_partnerships(request: object, filters: Query[PartnershipFilter]) -> PartnershipPage:
    """Scope `programs:read`. Members and check-in counts; nothing a pair wrote."""
    partnerships = _with_last_held(_partnerships(request, PartnershipFilter)).filter(
        pk__gt=read_cursor(filters.cursor)
    )
    if filters.program_id:
        partnerships = partnerships.filter(program_id=filters.program_id)
    if filters.status:
        partnerships = partnerships.filter(status=filters.status)
    page = list(partnerships[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return PartnershipPage(
        items=[_partnership_out(p) for p in page],
        next_cursor=make_cursor(page[-1].pk) if more and page else None,
    )


@router.get("/partnerships/{partnership_id}", response=answers(PartnershipOut), summary="Read one")
def read_partnership(request: object, partnership_id: Id) -> PartnershipOut:
    """Scope `programs:read`."""
    return _partnership_out(
        get_object_or_404(_with_last_held(_partnerships(request)), pk=partnership_id)
    )
