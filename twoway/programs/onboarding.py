"""Onboarding buddies: "offer your support to a new teammate".

When new hires join (directory import, an admin adding a member, sign-in of a member who had no
record), every open onboarding program that admits them enrols them as new teammates and matches
them at once with buddies a few steps ahead who opted in and have room, with the engine's mentor
mode (level gap, capacity, reporting line).

The service that creates or imports people calls `onboarding_start` once with everyone it made —
one matching run per program for a whole import, not one per row. People's own services cannot
import programs (it sits above them), so they reach it through `twoway.people.services.
people_joined`, where programs registers it when Django starts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction

from twoway.accounts.models import Organization
from twoway.matching import match
from twoway.people.models import Direction, Person
from twoway.programs.cohort import engine_settings, participants_for, pool
from twoway.programs.eligibility import is_eligible
from twoway.programs.models import (
    Enrolment,
    EnrolmentRole,
    Partnership,
    PartnershipSource,
    Program,
    ProgramKind,
    ProgramStatus,
)
from twoway.programs.services import partnership_create, partnership_introduce

log = logging.getLogger(__name__)


def _enrol_new_hire(program: Program, person: Person) -> Enrolment | None:
    """The new hire's enrolment as a mentee, or None when they were enrolled already."""
    skills = list(person.skills.all())
    enrolment, created = Enrolment.objects.get_or_create(
        program=program,
        person=person,
        defaults={
            "role": EnrolmentRole.MENTEE,
            "offers": {
                str(s.skill_id): s.strength for s in skills if s.direction == Direction.OFFER
            },
            "seeks": {str(s.skill_id): s.strength for s in skills if s.direction == Direction.SEEK},
            "meeting_preference": person.meeting_preference,
        },
    )
    return enrolment if created else None


@transaction.atomic
def onboarding_start(*, organization: Organization, people: Sequence[Person]) -> list[Partnership]:
    """Enrol these new people in the organization's open onboarding programs that admit them,
    and find each a buddy: one matching run per program for all of them.

    Returns the partnerships made. A new hire without a buddy (none with room) waits in the pool;
    the program's next round or a buddy's request picks them up.
    """
    newcomers = [p for p in people if p.is_active and p.organization_id == organization.pk]
    if not newcomers:
        return []
    made: list[Partnership] = []
    programs = Program.objects.filter(
        organization=organization, kind=ProgramKind.ONBOARDING, status=ProgramStatus.OPEN
    ).select_related("organization")
    for program in programs:
        enrolments = [
            e
            for e in (
                _enrol_new_hire(program, person)
                for person in newcomers
                if is_eligible(program, person)
            )
            if e is not None
        ]
        if not enrolments:
            continue
        buddies = [e for e in pool(program) if e.role == EnrolmentRole.MENTOR]
        if not buddies:
            continue
        new_ids = {str(e.person_id) for e in enrolments}
        result = match(participants_for(program, [*enrolments, *buddies]), engine_settings(program))
        groups = [g for g in result.groups if new_ids & set(g.members)]
        ids = {int(m) for g in groups for m in g.members}
        by_id = {p.pk: p for p in Person.objects.filter(pk__in=ids).select_related("organization")}
        for group in groups:
            members = [by_id[int(m)] for m in group.members]
            partnership = partnership_create(
                program=program,
                people=members,
                source=PartnershipSource.ONBOARDING,
                roles={
                    p.pk: EnrolmentRole.MENTEE if str(p.pk) in new_ids else EnrolmentRole.MENTOR
                    for p in members
                },
                score=group.score,
                reasons=group.reasons,
            )
            partnership_introduce(partnership, members, group.reasons)
            made.append(partnership)
    return made


def onboarding_start_safely(*, organization: Organization, people: Sequence[Person]) -> None:
    """For `people_joined`, after the people's transaction committed: the people are saved
    either way; when matching fails a program manager can pair by hand."""
    try:
        onboarding_start(organization=organization, people=people)
    except Exception:
        log.exception("onboarding match failed for %d new people", len(people))
