"""Onboarding buddies: "offer your support to a new teammate".

When a new hire joins (directory import, admin, API), every open onboarding program that admits
them enrols them as a new teammate and matches them at once with a buddy a few steps ahead who
opted in and has room, with the engine's mentor mode (level gap, capacity, reporting line).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

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


@transaction.atomic
def onboarding_match_new_hire(person: Person) -> list[Partnership]:
    """Enrol a new hire in the open onboarding programs that admit them and find each a buddy.

    Returns the partnerships made (none when no buddy has room; the new hire then waits in the
    pool and the program's next round or a buddy's request picks them up).
    """
    made: list[Partnership] = []
    programs = Program.objects.filter(
        organization_id=person.organization_id,
        kind=ProgramKind.ONBOARDING,
        status=ProgramStatus.OPEN,
    ).select_related("organization")
    for program in programs:
        if not is_eligible(program, person):
            continue
        skills = list(person.skills.all())
        enrolment, created = Enrolment.objects.get_or_create(
            program=program,
            person=person,
            defaults={
                "role": EnrolmentRole.MENTEE,
                "offers": {
                    str(s.skill_id): s.strength for s in skills if s.direction == Direction.OFFER
                },
                "seeks": {
                    str(s.skill_id): s.strength for s in skills if s.direction == Direction.SEEK
                },
                "meeting_preference": person.meeting_preference,
            },
        )
        if not created:
            continue
        buddies = [e for e in pool(program) if e.role == EnrolmentRole.MENTOR]
        if not buddies:
            continue
        participants = participants_for(program, [enrolment, *buddies])
        result = match(participants, engine_settings(program))
        for group in result.groups:
            if str(person.pk) not in group.members:
                continue
            members = {
                p.pk: p for p in Person.objects.filter(pk__in=[int(m) for m in group.members])
            }
            people = [members[int(m)] for m in group.members]
            partnership = partnership_create(
                program=program,
                people=people,
                source=PartnershipSource.ONBOARDING,
                roles={
                    p.pk: EnrolmentRole.MENTEE if p.pk == person.pk else EnrolmentRole.MENTOR
                    for p in people
                },
                score=group.score,
                reasons=group.reasons,
            )
            partnership_introduce(partnership, people, group.reasons)
            made.append(partnership)
    return made


@receiver(post_save, sender=Person, dispatch_uid="onboarding_new_hire")
def _new_hire_joined(sender: type[Person], instance: Person, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw") or not instance.is_active:
        return
    # After commit: an admin or an import saves the person's skills after the person row.
    transaction.on_commit(lambda: _match_safely(instance.pk))


def _match_safely(person_id: int) -> None:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return
    try:
        onboarding_match_new_hire(person)
    except Exception:  # the new hire is saved either way; a program manager can pair by hand
        log.exception("onboarding match failed for person %s", person_id)
