from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from twoway.accounts.models import Organization, User
from twoway.accounts.services import audit
from twoway.people.models import AvailabilityWindow, Direction, Person, PersonSkill, Skill


def person_for(*, organization: Organization, user: User) -> Person | None:
    """The signed-in member's own record in this organization, or None. Never writes."""
    return Person.objects.filter(organization=organization, user=user).first()


def person_provision(*, organization: Organization, user: User, source: str) -> Person:
    """Give a member their employee record: link the directory's record with their email, or
    make one. `source` says who asked (membership, sso, invitation, …) for the audit trail.
    """
    person = person_for(organization=organization, user=user)
    if person is not None:
        return person
    with transaction.atomic():
        person = (
            Person.objects.select_for_update()
            .filter(organization=organization, email__iexact=user.email, user__isnull=True)
            .first()
        )
        if person is not None:
            person.user = user
            person.save(update_fields=["user", "updated"])
        else:
            person = Person.objects.create(
                organization=organization,
                user=user,
                name=user.name or user.email.split("@")[0],
                email=user.email,
            )
        audit(
            org=organization,
            actor=None,
            action="person.provision",
            target=f"person:{person.pk}",
            source=source,
            user=user.pk,
        )
    return person


def person_get_or_create_for_user(*, org: Organization, user: User) -> Person:
    """Kept for the views that still provision on first visit; see person_provision."""
    return person_provision(organization=org, user=user, source="first_visit")


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
