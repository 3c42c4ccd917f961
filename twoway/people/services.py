from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from twoway.accounts.models import Membership, Organization, User
from twoway.accounts.services import audit
from twoway.lib.errors import Conflict, Invalid
from twoway.lib.validators import one_line
from twoway.people.catalogue import SKILL_CATEGORY
from twoway.people.models import (
    AvailabilityWindow,
    Direction,
    Person,
    PersonSkill,
    Skill,
    SkillAlias,
    SkillCategory,
)
from twoway.people.selectors import skill_vocabulary
from twoway.people.vocabulary import Found, clean_name, skill_key

JoinedHandler = Callable[..., None]
_joined_handlers: list[JoinedHandler] = []
MergedHandler = Callable[..., None]
_merged_handlers: list[MergedHandler] = []


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
    typed: Sequence[tuple[str, str, int]] = (),
) -> list[Resolved]:
    """Save a profile in one transaction: the fields, both skill directions and the windows.

    `typed` holds skills written as text, (direction, name, strength): each lands on the
    organization's skill of that name, alias or synonym (a new one when none), and the answer
    says where each went."""
    for name, value in fields.items():
        setattr(person, name, value)
    person.full_clean()
    person.save()
    offers, seeks, resolved = skills_with_typed(
        organization=person.organization, offers=offers, seeks=seeks, typed=typed
    )

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
    return resolved


class SkillError(Invalid):
    """A skill name or merge the vocabulary cannot take."""


@dataclass(frozen=True)
class Resolved:
    """A typed skill name and the skill it landed on (`found.how` says how), and whether this
    name made it."""

    found: Found[int]
    skill: Skill
    created: bool

    @property
    def note(self) -> str:
        """What to tell the person who typed it, or "" when it is the name as it stands."""
        if self.created:
            if self.found.renamed:
                return f"'{self.found.typed}' was added as {self.skill.name}, a new skill."
            return ""
        if self.found.renamed:
            return f"'{self.found.typed}' was added as {self.skill.name}."
        return ""


def skills_resolve(*, organization: Organization, names: Sequence[str]) -> list[Resolved]:
    """The organization's skill for each typed name, making the ones nobody has named yet.

    Every entry path (profile, file import, API, demo) goes through the same `Vocabulary`, so a
    name lands where its other spellings, aliases and synonyms already are."""
    if not names:
        return []
    vocabulary = skill_vocabulary(organization)
    found = [vocabulary.find(typed) for typed in names]
    known = Skill.objects.in_bulk([f.skill for f in found if f.skill is not None])
    out: list[Resolved] = []
    for typed, first_look in zip(names, found, strict=True):
        # Looked up again: an earlier name of this batch may have made the skill.
        match = vocabulary.find(typed) if first_look.skill is None else first_look
        if match.skill is None:
            skill = _skill_create(organization=organization, name=match.name)
            vocabulary.add(skill.pk, skill.name)
            known[skill.pk] = skill
            out.append(Resolved(match, skill, True))
        else:
            out.append(Resolved(match, known[match.skill], False))
    return out


def skills_with_typed(
    *,
    organization: Organization,
    offers: dict[int, int],
    seeks: dict[int, int],
    typed: Sequence[tuple[str, str, int]],
) -> tuple[dict[int, int], dict[int, int], list[Resolved]]:
    """Picked skills (id → strength) with the typed ones, (direction, name, strength), resolved
    and added; a skill both picked and typed keeps the stronger strength. Run it in the
    transaction that saves the choice, so a refused save makes no skill."""
    resolved = skills_resolve(organization=organization, names=[name for _, name, _ in typed])
    offers, seeks = dict(offers), dict(seeks)
    for (direction, _, strength), r in zip(typed, resolved, strict=True):
        chosen = offers if direction == Direction.OFFER else seeks
        chosen[r.skill.pk] = max(strength, chosen.get(r.skill.pk, 0))
    return offers, seeks, resolved


def _skill_create(*, organization: Organization, name: str) -> Skill:
    name = clean_name(name)[:100]  # Skill.name's length
    try:
        with transaction.atomic():
            return Skill.objects.create(
                organization=organization,
                name=name,
                category=SKILL_CATEGORY.get(skill_key(name), SkillCategory.WAYS_OF_WORKING),
            )
    except IntegrityError:
        # Someone made the same key a moment ago: theirs is ours.
        return Skill.objects.get(organization=organization, key=skill_key(name))


def on_skills_merged(handler: MergedHandler) -> MergedHandler:
    """Register `handler(organization=, source_id=, target_id=)`, run inside a merge's
    transaction before the old skill goes: for apps above people that hold skill ids
    (programs' intakes)."""
    _merged_handlers.append(handler)
    return handler


@transaction.atomic
def skill_merge(*, organization: Organization, source: Skill, target: Skill, actor: User) -> Skill:
    """Fold `source` into `target`: its people move over (holding both, the stronger strength
    stays), its aliases follow, and its name becomes an alias so later entries land on target."""
    if source.organization_id != organization.pk or target.organization_id != organization.pk:
        raise SkillError("Both skills must belong to this organization.")
    if source.pk == target.pk:
        raise SkillError("Choose two different skills to merge.")
    source = Skill.objects.select_for_update().get(pk=source.pk)
    target = Skill.objects.select_for_update().get(pk=target.pk)
    held = {
        (ps.person_id, ps.direction): ps
        for ps in PersonSkill.objects.select_for_update().filter(skill=target)
    }
    moved = combined = 0
    for link in PersonSkill.objects.select_for_update().filter(skill=source):
        kept = held.get((link.person_id, link.direction))
        if kept is None:
            link.skill = target
            link.save(update_fields=["skill"])
            moved += 1
        else:
            if link.strength > kept.strength:
                kept.strength = link.strength
                kept.save(update_fields=["strength"])
            link.delete()
            combined += 1
    SkillAlias.objects.filter(organization=organization, skill=source).update(skill=target)
    SkillAlias.objects.update_or_create(
        organization=organization,
        key=source.key,
        defaults={"name": source.name, "skill": target},
    )
    for handler in _merged_handlers:
        handler(organization=organization, source_id=source.pk, target_id=target.pk)
    audit(
        org=organization,
        actor=actor,
        action="skill.merged",
        target=f"skill:{target.pk}",
        old_name=source.name,
        new_name=target.name,
        old_id=source.pk,
        moved=moved,
        combined=combined,
    )
    source.delete()
    return target


@transaction.atomic
def skill_rename(*, organization: Organization, skill: Skill, name: str, actor: User) -> Skill:
    """Give a skill a new name; the old one stays as an alias when it folds differently."""
    if skill.organization_id != organization.pk:
        raise SkillError("This skill belongs to another organization.")
    name = clean_name(name)
    key = skill_key(name)
    if not key:
        raise SkillError("Give the skill a name.")
    if len(name) > 100:  # Skill.name's length
        raise SkillError("A skill name has at most 100 characters.")
    other = Skill.objects.filter(organization=organization, key=key).exclude(pk=skill.pk).first()
    if other is not None:
        raise Conflict(f"{other.name} already exists: merge the two instead.")
    alias = SkillAlias.objects.filter(organization=organization, key=key).first()
    if alias is not None and alias.skill_id != skill.pk:
        raise Conflict(f"'{alias.name}' is another name of {alias.skill.name}.")
    old_name, old_key = skill.name, skill.key
    if old_name == name:
        return skill
    if alias is not None:
        alias.delete()  # the alias becomes the name itself
    skill.name = name
    skill.save()
    if old_key != skill.key:
        SkillAlias.objects.create(
            organization=organization, key=old_key, name=old_name, skill=skill
        )
    audit(
        org=organization,
        actor=actor,
        action="skill.renamed",
        target=f"skill:{skill.pk}",
        old_name=old_name,
        new_name=name,
    )
    return skill
