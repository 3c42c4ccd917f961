"""Personas shared by the whole suite (healthchecks style):

- alice: participant in Acme
- bob: program manager in Acme
- carol: org admin in Acme
- dave: participant in Globex, who must never see anything of Acme
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import settings

from twoway.accounts.models import Membership, Organization, Role, User
from twoway.people.models import (
    AvailabilityWindow,
    Department,
    Direction,
    Person,
    PersonSkill,
    Skill,
    Team,
)

PASSWORD = "correct horse battery staple"

# In CI every property test draws the same examples on every run, so a landing is decided by the
# code, not by which random inputs that run happened to draw; locally they explore.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


def require_or_skip(reason: str) -> None:
    """Skip when a server or browser is missing here; fail instead in CI, where it must exist."""
    if os.environ.get("TWOWAY_REQUIRE_ALL") == "1":
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def encryption_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """pytest-django turns DEBUG off, so there is no trial key: each test gets its own."""
    from twoway.lib import crypto

    key = crypto.generate_key()
    monkeypatch.setenv("TWOWAY_ENCRYPTION_KEYS", key)
    crypto.reset_keys()
    yield key
    crypto.reset_keys()


@pytest.fixture(autouse=True)
def fresh_program_features() -> Iterator[None]:
    """A web process keeps each program's matching features between requests; tests roll the
    database back and reuse primary keys, so each starts with none kept. (A large program's
    features also freeze what the process holds out of the garbage collector: let it go.)"""
    from twoway.programs.suggestions import forget_features

    forget_features()
    yield
    forget_features()
    gc.unfreeze()


def require_postgres() -> None:
    """For tests that only mean something on PostgreSQL (row locks, SKIP LOCKED, concurrency).

    The SQLite run skips them; a run that was asked for PostgreSQL and is not on it fails.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if os.environ.get("TWOWAY_EXPECT_DB") == "postgresql":
        pytest.fail("this run was meant to be on PostgreSQL")
    pytest.skip("needs PostgreSQL (set TWOWAY_TEST_DATABASE_URL)")


@dataclass
class World:
    acme: Organization
    globex: Organization
    alice: User
    bob: User
    carol: User
    dave: User
    alice_person: Person
    bob_person: Person
    carol_person: Person
    dave_person: Person
    sql: Skill
    sales: Skill
    globex_skill: Skill
    platform: Team


def make_member(
    org: Organization, email: str, name: str, role: str, **person_fields: object
) -> tuple[User, Person]:
    user = User.objects.create_user(email, PASSWORD, name=name)
    Membership.objects.create(user=user, organization=org, role=role)
    person = Person.objects.create(
        organization=org, user=user, name=name, email=email, **person_fields
    )
    return user, person


@pytest.fixture
def world(db: None) -> World:
    acme = Organization.objects.create(name="Acme", slug="acme")
    globex = Organization.objects.create(name="Globex", slug="globex")
    eng = Department.objects.create(organization=acme, name="Engineering")
    sales_dept = Department.objects.create(organization=acme, name="Sales")
    platform = Team.objects.create(organization=acme, department=eng, name="Platform")
    deals = Team.objects.create(organization=acme, department=sales_dept, name="Deals")
    alice, alice_p = make_member(
        acme,
        "alice@acme.example",
        "Alice Archer",
        Role.PARTICIPANT,
        level=3,
        department=eng,
        team=platform,
        time_zone="Europe/Berlin",
        hire_date=dt.date(2022, 3, 1),
    )
    bob, bob_p = make_member(
        acme,
        "bob@acme.example",
        "Bob Baker",
        Role.PROGRAM_MANAGER,
        level=4,
        department=sales_dept,
        team=deals,
    )
    carol, carol_p = make_member(acme, "carol@acme.example", "Carol Chen", Role.ORG_ADMIN, level=5)
    dave, dave_p = make_member(
        globex, "dave@globex.example", "Dave Dunn", Role.PARTICIPANT, level=3
    )
    sql = Skill.objects.create(organization=acme, name="SQL", category="technical")
    sales = Skill.objects.create(organization=acme, name="Client relationships", category="clients")
    globex_skill = Skill.objects.create(
        organization=globex, name="Globex secret sauce", category="technical"
    )
    PersonSkill.objects.create(person=alice_p, skill=sql, direction=Direction.OFFER, strength=3)
    PersonSkill.objects.create(person=alice_p, skill=sales, direction=Direction.SEEK, strength=2)
    PersonSkill.objects.create(person=bob_p, skill=sales, direction=Direction.OFFER, strength=3)
    AvailabilityWindow.objects.create(person=alice_p, weekday=1, start=dt.time(9), end=dt.time(11))
    return World(
        acme,
        globex,
        alice,
        bob,
        carol,
        dave,
        alice_p,
        bob_p,
        carol_p,
        dave_p,
        sql,
        sales,
        globex_skill,
        platform,
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def wsgi_app() -> Iterator[object]:
    """Django's WSGI application for clients that call it in-process (schemathesis, the SCIM
    conformance check). Like Django's test client, it leaves the test's database connection
    open between requests: the request signals would otherwise close it, and on PostgreSQL the
    test's transaction with it."""
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
