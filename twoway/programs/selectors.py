from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.lib.errors import NotFound
from twoway.lib.paging import CountedPaginator
from twoway.people.models import Person
from twoway.programs.cohort import pool
from twoway.programs.models import (
    OPEN_PARTNERSHIP_STATUSES,
    Enrolment,
    EnrolmentStatus,
    MatchRequest,
    MatchRound,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
    RequestStatus,
)
from twoway.programs.tally import program_counts


def partnerships_with_members(qs: QuerySet[Partnership]) -> QuerySet[Partnership]:
    return qs.select_related("program", "organization").prefetch_related(
        Prefetch(
            "members",
            queryset=PartnershipMember.objects.select_related(
                "person", "person__team", "person__department", "person__organization"
            ),
        )
    )


def pairs_for_listing(qs: QuerySet[Partnership]) -> QuerySet[Partnership]:
    """Partnerships with their members' names, for a list of pairs: no program or organization
    joined onto every row, so the database sorts narrow rows before it takes a page."""
    return qs.prefetch_related(
        Prefetch("members", queryset=PartnershipMember.objects.select_related("person"))
    )


def access_partnership(
    *, org: Organization, person: Person | None, partnership_id: int
) -> Partnership:
    """A partnership of this organization that `person` is a member of, or NotFound.

    Nobody else — program managers and org admins included — opens a partnership's own space:
    they see programs and aggregates, never a pair's goals, notes or feedback.
    """
    if person is None:
        raise NotFound
    qs = Partnership.objects.filter(organization=org, pk=partnership_id, members__person=person)
    partnership = partnerships_with_members(qs).first()
    if partnership is None:
        raise NotFound
    return partnership


def partners_of(partnership: Partnership, person: Person) -> list[Person]:
    """The other members, from the prefetched rows."""
    return [m.person for m in partnership.members.all() if m.person_id != person.pk]


def open_partnerships_of(person: Person) -> QuerySet[Partnership]:
    return partnerships_with_members(
        Partnership.objects.filter(members__person=person, status__in=OPEN_PARTNERSHIP_STATUSES)
    )


def access_program(*, org: Organization, program_id: int) -> Program:
    try:
        return Program.objects.select_related("organization").get(organization=org, pk=program_id)
    except Program.DoesNotExist:
        raise NotFound from None


def partnerships_of(person: Person, program: Program | None = None) -> list[Partnership]:
    """Every partnership of this person, open ones first, newest first."""
    qs = Partnership.objects.filter(members__person=person)
    if program is not None:
        qs = qs.filter(program=program)
    rows = list(partnerships_with_members(qs).order_by("-created"))
    return sorted(rows, key=lambda p: (not p.is_open,))


@dataclass
class EnrolmentRow:
    enrolment: Enrolment
    state: str
    partners: int


def enrolments_with_state(program: Program) -> list[EnrolmentRow]:
    """Each enrolment with where it stands: in the pool, matched, snoozed or withdrawn."""

    in_pool = set(pool(program).values_list("pk", flat=True))
    enrolments = (
        Enrolment.objects.filter(program=program)
        .select_related("person", "person__team", "person__department")
        .annotate(
            partners=Count(
                "person__partnership_memberships",
                filter=Q(
                    person__partnership_memberships__partnership__program=program,
                    person__partnership_memberships__partnership__status__in=OPEN_PARTNERSHIP_STATUSES,
                ),
                distinct=True,
            )
        )
        .order_by("person__name")
    )
    rows = []
    today = timezone.localdate()
    for e in enrolments:
        if e.status == EnrolmentStatus.WITHDRAWN:
            state = "withdrawn"
        elif e.is_snoozed(today):
            state = "snoozed"
        elif e.pk in in_pool:
            state = "in_pool"
        else:
            state = "matched"
        rows.append(EnrolmentRow(e, state, e.partners))
    return rows


PARTNERSHIPS_PER_PAGE = 25


def program_overview(program: Program, page: str | None = None) -> dict[str, object]:
    """What a program manager sees on the program page: counts, rounds and a page of pairs —
    never a pair's private notes, reasons for ending or pulse answers. (Apps above programs add
    their parts through `twoway.programs.sections`.)

    Every figure is counted by the database, the head counts once per change of the program
    (`twoway.programs.tally`), and only one page of pairs is read: the page costs the same few
    queries with ten pairs or ten thousand, and about the same time."""

    partnerships = Partnership.objects.filter(program=program)
    counts = program_counts(program)
    ratings = PartnershipMember.objects.filter(
        partnership__program=program, fit_rating__isnull=False
    ).aggregate(n=Count("id"), mean=Avg("fit_rating"))
    fit_count = int(ratings["n"] or 0)
    min_group = program.organization.min_group_size
    open_pairs = pairs_for_listing(
        partnerships.filter(status__in=OPEN_PARTNERSHIP_STATUSES)
    ).order_by("-created", "-pk")
    return {
        "enrolled": counts.enrolled,
        "in_pool": counts.in_pool,
        "by_status": {label: counts.by_status[value] for value, label in PartnershipStatus.choices},
        "open_requests": MatchRequest.objects.filter(
            program=program, status=RequestStatus.OPEN
        ).count(),
        "rounds": MatchRound.objects.filter(program=program)
        .defer("result")
        .order_by("-created")[:10],
        "partnerships": CountedPaginator(
            open_pairs, PARTNERSHIPS_PER_PAGE, counts.open_pairs
        ).get_page(page),
        # Fit ratings are private answers: only their average over enough people is shown.
        "fit_average": round(float(ratings["mean"]), 1) if fit_count >= min_group else None,
        "fit_count": fit_count,
        "min_group": min_group,
    }


def active_partnerships() -> QuerySet[Partnership]:
    """Every active partnership with its program, organization and members' people: what the
    reminder jobs walk through."""
    return (
        Partnership.objects.filter(status=PartnershipStatus.ACTIVE)
        .select_related("program", "organization")
        .prefetch_related(
            Prefetch("members", queryset=PartnershipMember.objects.select_related("person"))
        )
    )


def members_of(partnership: Partnership) -> list[Person]:
    """The members' people (uses the prefetched members when there are any)."""
    return [m.person for m in partnership.members.all()]


def partner_names(partnership: Partnership, person: Person) -> list[str]:
    return [p.name for p in members_of(partnership) if p.pk != person.pk]
