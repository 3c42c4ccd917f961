from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from twoway.accounts.models import Organization, User
from twoway.lib.errors import NotFound
from twoway.people.catalogue import SKILL_SPELLING
from twoway.people.models import (
    AvailabilityWindow,
    Person,
    PersonSkill,
    Skill,
    SkillAlias,
)
from twoway.people.vocabulary import Vocabulary


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


# The most a skill field suggests: enough for a large organization's common skills, small
# enough to send with every profile page.
SUGGESTIONS = 300


def skill_vocabulary(org: Organization) -> Vocabulary[int]:
    """The organization's skills and aliases, to resolve typed names in memory (two queries)."""
    return Vocabulary(
        Skill.objects.filter(organization=org).order_by("pk").values_list("pk", "name"),
        SkillAlias.objects.filter(organization=org).values_list("key", "skill_id"),
        spellings=SKILL_SPELLING,
    )


def skill_suggestions(org: Organization, limit: int = SUGGESTIONS) -> list[str]:
    """The names a skill field offers: the ones most people hold first."""
    return list(
        Skill.objects.filter(organization=org)
        .annotate(held=Count("holders__person", distinct=True))
        .order_by("-held", "name")
        .values_list("name", flat=True)[:limit]
    )


def skills_with_people(org: Organization, q: str = "") -> QuerySet[Skill]:
    """Skills with how many people hold them and their aliases, for the merge page's search."""
    qs = Skill.objects.filter(organization=org)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(aliases__name__icontains=q)).distinct()
    return (
        qs.annotate(people=Count("holders__person", distinct=True))
        .prefetch_related("aliases")
        .order_by("name", "pk")
    )


def access_skill(*, org: Organization, skill_id: int) -> Skill:
    """A skill of this organization with its people count, or NotFound."""
    skill = skills_with_people(org).filter(pk=skill_id).first()
    if skill is None:
        raise NotFound
    return skill


def skills_by_names(*, org: Organization, names: list[str]) -> list[tuple[str, Skill | None]]:
    """Each typed name with the skill it means (any spelling, alias or synonym), or None."""
    vocabulary = skill_vocabulary(org)
    found: list[tuple[str, int | None]] = []
    for typed in names:
        typed = " ".join(typed.split())[:100]
        try:
            found.append((typed, vocabulary.find(typed).skill if typed else None))
        except ValueError:
            found.append((typed, None))
    skills = skills_with_people(org).in_bulk([pk for _, pk in found if pk is not None])
    return [(typed, skills.get(pk) if pk is not None else None) for typed, pk in found]


def skill_overlap(*, source: Skill, target: Skill) -> int:
    """People who hold both skills (the merge combines their two entries into one)."""
    return (
        PersonSkill.objects.filter(skill=source)
        .filter(person__skills__skill=target)
        .values("person")
        .distinct()
        .count()
    )
