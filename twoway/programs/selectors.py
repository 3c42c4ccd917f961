from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from twoway.accounts.models import Organization
from twoway.people.models import Person
from twoway.programs.models import (
    OPEN_PARTNERSHIP_STATUSES,
    Partnership,
    PartnershipMember,
    Program,
)


def partnerships_with_members(qs: QuerySet[Partnership]) -> QuerySet[Partnership]:
    return qs.select_related("program", "organization").prefetch_related(
        Prefetch(
            "members",
            queryset=PartnershipMember.objects.select_related(
                "person", "person__team", "person__department", "person__organization"
            ),
        )
    )


def access_partnership(
    *, org: Organization, person: Person | None, partnership_id: int
) -> Partnership:
    """A partnership of this organization that `person` is a member of, or 404.

    Nobody else — program managers and org admins included — opens a partnership's own space:
    they see programs and aggregates, never a pair's goals, notes or feedback.
    """
    if person is None:
        raise Http404
    qs = Partnership.objects.filter(organization=org, pk=partnership_id, members__person=person)
    partnership = partnerships_with_members(qs).first()
    if partnership is None:
        raise Http404
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
        raise Http404 from None
