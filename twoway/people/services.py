from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from twoway.accounts.models import Organization, User
from twoway.people.models import AvailabilityWindow, Direction, Person, PersonSkill, Skill


def person_get_or_create_for_user(*, org: Organization, user: User) -> Person:
    """The signed-in member's own record; made on first visit for members added by hand."""
    person = Person.objects.filter(organization=org, user=user).first()
    if person is not None:
        return person
    person = Person.objects.filter(
        organization=org, email__iexact=user.email, user__isnull=True
    ).first()
    if person is not None:
        person.user = user
        person.save(update_fields=["user", "updated"])
        return person
    return Person.objects.create(
        organization=org, user=user, name=user.name or user.email.split("@")[0], email=user.email
    )


@transaction.atomic
def person_update_profile(
    *,
    person: Person,
    fields: dict[str, Any],
    offers: dict[int, int],
    seeks: dict[int, int],
    windows: Iterable[tuple[int, dt.time, dt.time]],
) -> Person:
    """Save a profile in one transaction: the fields, both skill directions and the windows."""
    for name, value in fields.items():
        setattr(person, name, value)
    person.full_clean()
    person.save()

    valid_skills = set(
        Skill.objects.filter(
            organization=person.organization, pk__in=[*offers, *seeks]
        ).values_list("pk", flat=True)
    )
    PersonSkill.objects.filter(person=person).delete()
    PersonSkill.objects.bulk_create(
        PersonSkill(person=person, skill_id=skill_id, direction=direction, strength=strength)
        for direction, chosen in ((Direction.OFFER, offers), (Direction.SEEK, seeks))
        for skill_id, strength in sorted(chosen.items())
        if skill_id in valid_skills
    )
    AvailabilityWindow.objects.filter(person=person).delete()
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(person=person, weekday=day, start=start, end=end)
        for day, start, end in windows
    )
    return person
