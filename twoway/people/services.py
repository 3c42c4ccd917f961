from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import transaction

from twoway.accounts.models import Membership, Organization, User
from twoway.accounts.services import audit
from twoway.lib.validators import one_line
from twoway.people.models import AvailabilityWindow, Direction, Person, PersonSkill, Skill

JoinedHandler = Callable[..., None]
_joined_handlers: list[JoinedHandler] = []


def on_people_joined(handler: JoinedHandler) -> JoinedHandler:
    """Register `handler(organization=, people=)`, run once per batch of new people.

    For apps above people (programs' onboarding buddies) that people's services cannot import.
    """
    _joined_handlers.append(handler)
    return handler


def people_joined(*, organization: Organization, people: Sequence[Person]) -> None:
    """Tell the registered handlers about new people: call once per import or creation, with
    everyone it made. They run after the transaction commits (the people's skills and
    availability are saved by then), and never undo it."""
    if not people:
        return
    batch = list(people)
    for handler in _joined_handlers:
        transaction.on_commit(functools.partial(handler, organization=organization, people=batch))


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
        created = person is None
        if person is not None:
            person.user = user
            person.save(update_fields=["user", "updated"])
        else:
            person = Person.objects.create(
                organization=organization,
                user=user,
                # A sign-in's name may come from outside (an identity provider): one line.
                name=one_line(user.name) or user.email.split("@")[0],
                email=user.email,
            )
        if created:
            people_joined(organization=organization, people=[person])
        audit(
            org=organization,
            actor=None,
            action="person.provision",
            target=f"person:{person.pk}",
            source=source,
            user=user.pk,
        )
    return person


def person_provision_memberships(*, user: User, source: str) -> list[Person]:
    """Provision the user's record in every organization they are a member of but have none."""
    missing = (
        Membership.objects.filter(user=user)
        .exclude(organization__people__user=user)
        .select_related("organization")
    )
    return [
        person_provision(organization=m.organization, user=user, source=source) for m in missing
    ]


@transaction.atomic
def membership_add(
    *, organization: Organization, user: User, role: str, actor: User | None, source: str
) -> Membership:
    """Make `user` a member of the organization, with their employee record, in one step."""
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    audit(
        org=organization,
        actor=actor,
        action="membership.added",
        target=user.email,
        role=role,
        source=source,
    )
    person_provision(organization=organization, user=user, source=source)
    return membership


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
