"""Program settings go through program_create / program_update: audited, validated, and a
change of HR contact is on record with old and new values and told to the org admins."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import World, client_for
from tests.partnerships.factories import pair
from tests.programs.helpers import make_program
from twoway.accounts.models import AuditEvent
from twoway.integrations.email.transport import build_email
from twoway.notifications.models import OutboxMessage
from twoway.people.models import Person
from twoway.programs.models import Program, ProgramKind


def form(**changes: str) -> dict[str, Any]:
    data = {
        "name": "Sales & Engineering peers",
        "kind": ProgramKind.PEER_PAIRS,
        "matching_mode": "both",
        "term_weeks": "26",
        "checkin_every_weeks": "2",
        "checkin_minutes": "30",
        "max_open_requests": "3",
        "min_fit": "0",
        "goal_templates_text": "Career advice",
    }
    data.update(changes)
    return data


def edit_url(program: Program) -> str:
    return reverse("program_edit", kwargs={"org_slug": "acme", "program_id": program.pk})


def test_it_audits_each_changed_field_with_old_and_new_values(world: World) -> None:
    program = make_program(world.acme, name="Peers", term_weeks=26)
    response = client_for(world.bob).post(edit_url(program), form(name="Peers 2", term_weeks="12"))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="program.edited")
    assert event.actor == world.bob
    assert event.details["changes"]["name"] == ["Peers", "Peers 2"]
    assert event.details["changes"]["term_weeks"] == [26, 12]
    assert "checkin_minutes" not in event.details["changes"]


def test_it_refuses_a_program_name_with_a_line_break_and_writes_nothing(world: World) -> None:
    client = client_for(world.bob)
    response = client.post(
        reverse("program_new", kwargs={"org_slug": "acme"}),
        form(name="Peers\r\nBcc: everyone@acme.example"),
    )
    assert response.status_code == 400
    assert "single line" in response.content.decode()
    assert not Program.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_refuses_an_hr_contact_name_with_a_line_break(world: World) -> None:
    program = make_program(world.acme, name="Peers")
    response = client_for(world.bob).post(
        edit_url(program),
        form(name="Peers", hr_contact_name="Hana\nHill", hr_contact_email="hr@acme.example"),
    )
    assert response.status_code == 400
    program.refresh_from_db()
    assert program.hr_contact_email == ""


def test_it_refuses_a_person_name_with_a_line_break(world: World) -> None:
    data = {
        "name": "Alice\nArcher",
        "time_zone": "Europe/Berlin",
        "meeting_preference": "video",
        "windows-TOTAL_FORMS": "0",
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "21",
    }
    response = client_for(world.alice).post(
        reverse("my_profile_edit", kwargs={"org_slug": "acme"}), data
    )
    assert response.status_code == 400
    assert "single line" in response.content.decode()
    assert Person.objects.get(pk=world.alice_person.pk).name == "Alice Archer"


def test_it_audits_an_hr_contact_change_and_tells_the_org_admins(world: World) -> None:
    program = make_program(
        world.acme, name="Peers", hr_contact_name="Hana Hill", hr_contact_email="hr@acme.example"
    )
    response = client_for(world.bob).post(
        edit_url(program),
        form(name="Peers", hr_contact_name="Max Mole", hr_contact_email="max@elsewhere.example"),
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="program.hr_contact_changed")
    assert event.actor == world.bob
    assert event.details["old"] == {"name": "Hana Hill", "email": "hr@acme.example"}
    assert event.details["new"] == {"name": "Max Mole", "email": "max@elsewhere.example"}
    [notice] = OutboxMessage.objects.filter(kind="admin_notice")
    assert notice.recipient == world.carol_person  # carol is the org admin; bob is not told
    email = build_email(notice)
    assert "max@elsewhere.example" in email.body and "hr@acme.example" in email.body
    assert "Bob Baker" in email.body
    # Saving again without changing the contact tells nobody again.
    client_for(world.bob).post(
        edit_url(program),
        form(name="Peers", hr_contact_name="Max Mole", hr_contact_email="max@elsewhere.example"),
    )
    assert OutboxMessage.objects.filter(kind="admin_notice").count() == 1


def test_participants_see_where_an_hr_escalation_goes(world: World) -> None:
    partnership = pair(world)  # its program's HR contact is Hana Hill <hr@acme.example>
    page = client_for(world.alice).get(
        reverse(
            "partnership_support", kwargs={"org_slug": "acme", "partnership_id": partnership.pk}
        )
    )
    assert "hr@acme.example" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_its_migration_makes_names_saved_before_the_rule_one_line() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("programs", "0002_enrolment_spelling")]
    after = [("programs", "0003_names_single_line")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    organization = old_apps.get_model("accounts", "Organization").objects.create(
        name="Acme", slug="acme"
    )
    old_apps.get_model("programs", "Program").objects.create(
        organization_id=organization.pk,
        name="Peers\r\nBcc: all@acme.example",
        hr_contact_name="Hana\nHill",
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    program = executor.loader.project_state(after).apps.get_model("programs", "Program")
    migrated = program.objects.get()
    assert migrated.name == "Peers Bcc: all@acme.example"
    assert migrated.hr_contact_name == "Hana Hill"
    # Back to the newest schema, for the tests that run after this one.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_description_counts_line_breaks_once_like_the_browser(world: World) -> None:
    # 2,500 lines of one character: 4,999 characters as the browser counts them (its limit is
    # 5,000), 7,498 as submitted with CRLF line breaks.
    description = "\r\n".join(["x"] * 2500)
    page = client_for(world.bob).get(reverse("program_new", kwargs={"org_slug": "acme"}))
    assert 'maxlength="5000"' in page.content.decode()
    response = client_for(world.bob).post(
        reverse("program_new", kwargs={"org_slug": "acme"}), form(description=description)
    )
    assert response.status_code == 302
    assert Program.objects.get().description == description.replace("\r\n", "\n")


@pytest.mark.parametrize(
    "bad", [{"term_weeks": "0"}, {"checkin_minutes": "0"}, {"checkin_every_weeks": "0"}]
)
def test_a_zero_week_term_or_zero_minute_checkin_is_refused(
    world: World, bad: dict[str, str]
) -> None:
    response = client_for(world.bob).post(
        reverse("program_new", kwargs={"org_slug": "acme"}), form(**bad)
    )
    assert response.status_code == 400
    assert not Program.objects.exists()
