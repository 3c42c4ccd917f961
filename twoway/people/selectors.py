from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from twoway.accounts.models import Organization, User
from twoway.lib.errors import NotFound
from twoway.people.models import AvailabilityWindow, Person, PersonSkill, Skill


def person_for_user(*, org: Organization, user: User) -> Person | None:
    return (
        Person.objects.filter(organization=org, user=user)
        .select_related("team", "department")
        .first()
    )


def _with_profile(qs: QuerySet[Person]) -> QuerySet[Person]:
    return qs.select_related("organization", "team", "department", "manager").prefetch_related(
        Prefetch("skills", queryset=PersonSkill.objects.select_related("skill")),
        Prefetch("availability", queryset=AvailabilityWindow.objects.all()),
    )


def access_person(*, org: Organization, person_id: int) -> Person:
    """A person of this organization, or NotFound (another organization's id looks like no one)."""
    person = _with_profile(Person.objects.filter(organization=org, pk=person_id)).first()
    if person is None:
        raise NotFound
    return person


def profile_of(person: Person) -> Person:
    return _with_profile(Person.objects.filter(pk=person.pk)).get()


def directory_people(
    *, org: Organization, q: str = "", team: str = "", skill_id: int | None = None
) -> QuerySet[Person]:
    """Active people of the organization matching the search; left people stay out of sight."""
    qs = Person.objects.filter(organization=org, is_active=True)
    if q:
        terms = q.split()
        for term in terms:
            qs = qs.filter(Q(name__icontains=term) | Q(title__icontains=term))
    if team.strip():
        qs = qs.filter(team__name__icontains=team.strip())
    if skill_id:
        qs = qs.filter(Exists(PersonSkill.objects.filter(person=OuterRef("pk"), skill_id=skill_id)))
    return (
        qs.select_related("team", "department", "organization")
        .prefetch_related(Prefetch("skills", queryset=PersonSkill.objects.select_related("skill")))
        .order_by("name", "id")
    )


def skill_choices(org: Organization) -> list[tuple[int, str]]:
    return [(s.pk, s.name) for s in Skill.objects.filter(organization=org).order_by("name")]


def org_skills(org: Organization) -> list[Skill]:
    return list(Skill.objects.filter(organization=org).order_by("category", "name"))
