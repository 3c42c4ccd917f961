from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import PASSWORD, World, client_for
from twoway.accounts.models import AuditEvent, Membership, Role, User
from twoway.people.models import AvailabilityWindow, Direction, Person, PersonSkill, Skill

EDIT = reverse("my_profile_edit", kwargs={"org_slug": "acme"})


def form_data(world: World, **changes: str) -> dict[str, str]:
    data = {
        "name": "Alice A. Archer",
        "pronouns": "she/her",
        "title": "Data Engineer",
        "level": "4",
        "location": "Berlin",
        "time_zone": "Europe/Berlin",
        "meeting_preference": "video",
        "bio": "I like **SQL**.",
        f"offer_{world.sql.pk}": "2",
        f"seek_{world.sales.pk}": "3",
        "windows-TOTAL_FORMS": "2",
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "21",
        "windows-0-weekday": "2",
        "windows-0-start": "14:00",
        "windows-0-end": "15:30",
        "windows-1-weekday": "",
        "windows-1-start": "",
        "windows-1-end": "",
    }
    data.update(changes)
    return data


def test_it_shows_my_profile_with_both_directions(world: World) -> None:
    response = client_for(world.alice).get(reverse("my_profile", kwargs={"org_slug": "acme"}))
    body = response.content.decode()
    assert "Can share" in body and "SQL" in body
    assert "Wants to grow" in body and "Client relationships" in body
    assert "Tuesday 09:00–11:00" in body


def test_it_saves_fields_skills_and_windows_together(world: World) -> None:
    response = client_for(world.alice).post(EDIT, form_data(world))
    assert response.status_code == 302
    alice = Person.objects.get(pk=world.alice_person.pk)
    assert (alice.name, alice.level, alice.meeting_preference) == ("Alice A. Archer", 4, "video")
    skills = {
        (ps.skill.name, ps.direction, ps.strength) for ps in alice.skills.select_related("skill")
    }
    assert skills == {("SQL", Direction.OFFER, 2), ("Client relationships", Direction.SEEK, 3)}
    windows = [(w.weekday, w.start, w.end) for w in alice.availability.all()]
    assert windows == [(2, dt.time(14), dt.time(15, 30))]


def test_bad_input_changes_nothing_and_says_why(world: World) -> None:
    client = client_for(world.alice)
    before = list(
        PersonSkill.objects.filter(person=world.alice_person).values_list(
            "skill_id", "direction", "strength"
        )
    )
    cases = [
        ({"level": "99"}, "Select a valid choice"),
        ({"time_zone": "Nowhere/Land"}, "Select a valid choice"),
        ({"windows-0-end": "13:00"}, "must end after it starts"),
        (
            {"windows-1-weekday": "2", "windows-1-start": "15:00", "windows-1-end": "16:00"},
            "overlap",
        ),
        ({f"offer_{world.sql.pk}": "7"}, "Select a valid choice"),
        ({"name": ""}, "This field is required"),
    ]
    for change, message in cases:
        response = client.post(EDIT, form_data(world, **change))
        assert response.status_code == 400, change
        assert message in response.content.decode(), change
        # What the person typed is still in the form, not lost.
        assert "Data Engineer" in response.content.decode()
    alice = Person.objects.get(pk=world.alice_person.pk)
    assert alice.name == "Alice Archer" and alice.level == 3
    after = list(
        PersonSkill.objects.filter(person=world.alice_person).values_list(
            "skill_id", "direction", "strength"
        )
    )
    assert after == before
    assert AvailabilityWindow.objects.filter(person=world.alice_person).count() == 1


def test_a_skill_of_another_org_cannot_be_attached(world: World) -> None:
    data = form_data(world, **{f"offer_{world.globex_skill.pk}": "3"})
    client_for(world.alice).post(EDIT, data)
    assert not PersonSkill.objects.filter(skill=world.globex_skill).exists()


def erin_without_a_record(world: World) -> User:
    erin = User.objects.create_user("erin@acme.example", PASSWORD, name="Erin Ek")
    Membership.objects.create(user=erin, organization=world.acme)
    return erin


def test_it_creates_nothing_when_a_member_without_a_record_reads_a_page(world: World) -> None:
    erin = erin_without_a_record(world)
    client = client_for(erin)
    before = Person.objects.count()
    for name in ("my_profile", "my_profile_edit", "programs_list", "requests", "my_partnerships"):
        response = client.get(reverse(name, kwargs={"org_slug": "acme"}))
        assert response.status_code == 409, name
        assert "Set up my profile" in response.content.decode()
    assert Person.objects.count() == before
    assert not AuditEvent.objects.filter(action="person.provision").exists()


def test_it_sets_up_the_record_when_the_member_asks(world: World) -> None:
    erin = erin_without_a_record(world)
    response = client_for(erin).post(
        reverse("person_setup", kwargs={"org_slug": "acme"}), {"next": "/o/acme/programs/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/programs/"
    assert Person.objects.get(organization=world.acme, user=erin).name == "Erin Ek"
    assert AuditEvent.objects.get(action="person.provision").details["source"] == "self_service"


def test_it_sets_up_the_record_at_sign_in(world: World) -> None:
    erin = erin_without_a_record(world)
    response = Client().post(
        reverse("login"), {"username": "erin@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    person = Person.objects.get(organization=world.acme, user=erin)
    assert person.email == "erin@acme.example"
    # Signing in again changes nothing.
    Client().post(reverse("login"), {"username": "erin@acme.example", "password": PASSWORD})
    assert Person.objects.filter(user=erin).count() == 1


def test_it_links_the_directory_record_when_an_admin_adds_a_member(world: World) -> None:
    """The Django admin's "add membership" gives the member the record with their email."""
    listed = Person.objects.create(
        organization=world.acme, name="Erin Ek", email="ERIN@acme.example"
    )
    erin = User.objects.create_user("erin@acme.example", PASSWORD, name="Erin Ek")
    operator = User.objects.create_superuser("op@twoway.example", PASSWORD)
    response = client_for(operator).post(
        reverse("admin:accounts_membership_add"),
        {
            "user": erin.pk,
            "organization": world.acme.pk,
            "role": Role.PARTICIPANT,
            "created_0": "2026-01-05",
            "created_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    listed.refresh_from_db()
    assert listed.user == erin
    assert Membership.objects.filter(user=erin, organization=world.acme).exists()
    assert AuditEvent.objects.filter(action="membership.added", actor=operator).exists()


def test_the_edit_page_query_count_does_not_grow_with_skills(world: World) -> None:
    client = client_for(world.alice)
    with CaptureQueriesContext(connection) as few:
        client.get(EDIT)
    Skill.objects.bulk_create(
        Skill(organization=world.acme, name=f"Skill {i}", category="career") for i in range(30)
    )
    for skill in Skill.objects.filter(organization=world.acme, name__startswith="Skill "):
        PersonSkill.objects.create(
            person=world.alice_person, skill=skill, direction=Direction.SEEK, strength=1
        )
    with CaptureQueriesContext(connection) as many:
        client.get(EDIT)
    assert len(many) == len(few)
