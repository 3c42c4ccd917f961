from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from twoway.people.models import Person
from twoway.programs.models import Enrolment, Program, ProgramStatus


def is_eligible(program: Program, person: Person, today: dt.date | None = None) -> bool:
    """Whether `person` may join `program` (every criterion left empty admits anyone)."""
    if person.organization_id != program.organization_id or not person.is_active:
        return False
    if program.invite_only and not program.invitees.filter(pk=person.pk).exists():
        return False
    if program.eligible_levels and person.level not in program.eligible_levels:
        return False
    departments = {d.pk for d in program.eligible_departments.all()}
    if departments and person.department_id not in departments:
        return False
    if program.min_tenure_days is not None or program.max_tenure_days is not None:
        if person.hire_date is None:
            return False
        tenure = ((today or timezone.localdate()) - person.hire_date).days
        if program.min_tenure_days is not None and tenure < program.min_tenure_days:
            return False
        if program.max_tenure_days is not None and tenure > program.max_tenure_days:
            return False
    return True


def programs_open_to(person: Person, today: dt.date | None = None) -> list[Program]:
    """Open programs this person may join, plus any they are enrolled in."""
    candidates: QuerySet[Program] = (
        Program.objects.filter(organization_id=person.organization_id)
        .filter(Q(status=ProgramStatus.OPEN) | Q(enrolments__person=person))
        .exclude(status=ProgramStatus.DRAFT)
        .distinct()
        .prefetch_related("eligible_departments")
        .order_by("name")
    )
    enrolled = set(Enrolment.objects.filter(person=person).values_list("program_id", flat=True))
    return [p for p in candidates if p.pk in enrolled or is_eligible(p, person, today)]
