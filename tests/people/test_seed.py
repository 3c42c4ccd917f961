from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from twoway.accounts.models import Membership, Role
from twoway.demo.seed import seed_organization
from twoway.people.models import AvailabilityWindow, Direction, Person, PersonSkill, Skill, Team

TODAY = dt.date(2026, 11, 1)


def fingerprint(slug: str) -> list[tuple[object, ...]]:
    return list(
        Person.objects.filter(organization__slug=slug)
        .order_by("id")
        .values_list(
            "name", "email", "level", "hire_date", "team__name", "manager__email", "time_zone"
        )
    )


def test_it_seeds_a_realistic_organization(db: None) -> None:
    result = seed_organization(people=240, seed=7, slug="northwind", today=TODAY)
    org = result.org
    people = Person.objects.filter(organization=org)
    assert people.count() == 240
    assert Team.objects.filter(organization=org).count() == 24
    assert people.values("department").distinct().count() == 8
    assert Skill.objects.filter(organization=org).count() >= 40
    assert Skill.objects.filter(organization=org).values("category").distinct().count() == 6
    assert set(people.values_list("level", flat=True)) == set(range(1, 9))
    assert people.values("time_zone").distinct().count() >= 4
    hires = [h for h in people.order_by("hire_date").values_list("hire_date", flat=True) if h]
    assert (TODAY - hires[0]).days > 8 * 365 and (TODAY - hires[len(hires) - 1]).days < 365
    left = people.filter(is_active=False)
    assert 1 <= left.count() <= 40
    assert all(p.left_on and p.hire_date and p.left_on > p.hire_date for p in left)
    # A manager tree: everyone but the CEO has a manager, and managers are more senior.
    assert people.filter(manager__isnull=True).count() == 1
    assert not people.filter(manager__level__lt=1).exists()
    for person in people.select_related("manager").exclude(manager=None)[:100]:
        assert (
            person.manager is not None
            and person.manager.level is not None
            and person.level is not None
        )
        assert person.manager.level > person.level
    # Everyone shares something and wants to grow something, never the same skill both ways.
    counts = people.annotate(n_offer=Count("skills", filter=Q(skills__direction=Direction.OFFER)))
    assert all(p.n_offer >= 1 for p in counts)
    both = PersonSkill.objects.filter(
        person__organization=org, direction=Direction.OFFER
    ).values_list("person_id", "skill_id")
    seeks = set(
        PersonSkill.objects.filter(person__organization=org, direction=Direction.SEEK).values_list(
            "person_id", "skill_id"
        )
    )
    assert not set(both) & seeks
    assert AvailabilityWindow.objects.filter(person__organization=org).count() >= 200
    roles = set(Membership.objects.filter(organization=org).values_list("role", flat=True))
    assert roles == {Role.PARTICIPANT, Role.PROGRAM_MANAGER, Role.ORG_ADMIN}
    for email, password in result.sign_ins.values():
        person = Person.objects.get(organization=org, email=email)
        assert person.user is not None and person.user.check_password(password) and person.is_active


def test_the_same_seed_gives_the_same_people(db: None) -> None:
    seed_organization(people=60, seed=3, slug="a", today=TODAY, demo_users=False)
    seed_organization(people=60, seed=3, slug="b", today=TODAY, demo_users=False)
    seed_organization(people=60, seed=4, slug="c", today=TODAY, demo_users=False)
    a, b, c = fingerprint("a"), fingerprint("b"), fingerprint("c")
    strip = lambda rows: [(r[0], r[2], r[3], r[4], r[6]) for r in rows]  # noqa: E731
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)


def test_the_seed_command_refuses_an_existing_slug(db: None) -> None:
    out = StringIO()
    call_command("seed", people=20, slug="dup", no_users=True, stdout=out)
    assert "20 people" in out.getvalue()
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="exists already"):
        call_command("seed", people=20, slug="dup", stdout=StringIO())
    assert Person.objects.filter(organization__slug="dup").count() == 20


@pytest.mark.slow
def test_demo_prepares_data_once_and_prints_sign_ins(db: None) -> None:
    out = StringIO()
    call_command("demo", no_serve=True, people=40, stdout=out)
    call_command("demo", no_serve=True, people=40, stdout=out)
    text = out.getvalue()
    assert text.count("Seeded") == 1
    for role in ("Participant", "Program manager", "Org admin"):
        assert role in text
    assert Person.objects.count() == 40


def test_the_smallest_organization_still_has_one_sign_in_per_role(db: None) -> None:
    result = seed_organization(people=20, seed=11, slug="tiny", today=TODAY)
    assert set(result.sign_ins) == {"Participant", "Program manager", "Org admin"}
    assert len({email for email, _ in result.sign_ins.values()}) == 3
