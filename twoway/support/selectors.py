from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from twoway.people.models import Person
from twoway.programs.models import Partnership, Program
from twoway.support.models import UncertainFlag


def uncertain_partnerships(program: Program) -> QuerySet[Partnership]:
    """Open partnerships of the program where a member feels uncertain, for the program
    manager's view: which partnership and how many of its members — never who said it.

    Found from the open flags, a handful, rather than by counting flags for each of the
    program's ten thousand pairs."""
    flagged = UncertainFlag.objects.filter(
        cleared_at__isnull=True, partnership__program=program
    ).values("partnership_id")
    return (
        Partnership.objects.filter(
            program=program, status__in=("proposed", "active"), pk__in=flagged
        )
        .annotate(
            uncertain_count=Count(
                "uncertain_flags", filter=Q(uncertain_flags__cleared_at__isnull=True)
            )
        )
        .filter(uncertain_count__gt=0)
        .order_by("-uncertain_count", "pk")
    )


def feels_uncertain(*, partnership: Partnership, person: Person) -> bool:
    return UncertainFlag.objects.filter(
        partnership=partnership, person=person, cleared_at__isnull=True
    ).exists()
