from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import World, client_for
from twoway.accounts.models import AuditEvent, Membership, Organization, Role

URL = reverse("org_settings", kwargs={"org_slug": "acme"})


def valid_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Acme Corp",
        "time_zone": "Europe/Berlin",
        "min_group_size": 7,
        "checkin_every_weeks": 3,
        "checkin_minutes": 45,
        "hr_contact_name": "Hana HR",
        "hr_contact_email": "hr@acme.example",
        "professional_help_url": "https://eap.example/acme",
        "professional_help_text": "Call 0800 000",
        "ladder": "Junior\nMid\nSenior\nStaff",
    }
    data.update(changes)
    return data


def test_it_saves_settings_and_audits_the_change(world: World) -> None:
    response = client_for(world.carol).post(URL, valid_form())
    assert response.status_code == 302
    org = Organization.objects.get(pk=world.acme.pk)
    assert org.name == "Acme Corp"
    assert org.min_group_size == 7
    assert (org.checkin_every_weeks, org.checkin_minutes) == (3, 45)
    assert org.level_ladder == ["Junior", "Mid", "Senior", "Staff"]
    event = AuditEvent.objects.get(organization=org, action="organization.settings_changed")
    assert event.actor == world.carol
    assert event.details["changes"]["min_group_size"] == [5, 7]


def test_bad_input_changes_nothing(world: World) -> None:
    client = client_for(world.carol)
    for bad in (
        {"min_group_size": 1},
        {"ladder": "L1\nL1"},
        {"ladder": "   \n"},
        {"hr_contact_email": "not-an-email"},
        {"checkin_minutes": 0},
        {"time_zone": "Mars/Olympus"},
    ):
        response = client.post(URL, valid_form(**bad))
        assert response.status_code == 400, bad
        assert b"nothing was saved" in response.content
    org = Organization.objects.get(pk=world.acme.pk)
    assert org.name == "Acme" and org.min_group_size == 5
    assert org.level_ladder == ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"]
    assert not AuditEvent.objects.exists()


def test_a_program_manager_cannot_change_settings(world: World) -> None:
    response = client_for(world.bob).post(URL, valid_form())
    assert response.status_code == 403
    assert Organization.objects.get(pk=world.acme.pk).name == "Acme"


def test_an_admin_changes_a_role_and_it_is_audited(world: World) -> None:
    membership = Membership.objects.get(user=world.alice, organization=world.acme)
    url = reverse("members", kwargs={"org_slug": "acme"})
    response = client_for(world.carol).post(
        url, {"membership": membership.pk, "role": Role.PROGRAM_MANAGER}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.PROGRAM_MANAGER
    assert AuditEvent.objects.filter(
        action="membership.role_changed", target="alice@acme.example"
    ).exists()


def test_the_last_admin_cannot_step_down(world: World) -> None:
    membership = Membership.objects.get(user=world.carol, organization=world.acme)
    url = reverse("members", kwargs={"org_slug": "acme"})
    response = client_for(world.carol).post(
        url, {"membership": membership.pk, "role": Role.PARTICIPANT}, follow=True
    )
    membership.refresh_from_db()
    assert membership.role == Role.ORG_ADMIN
    assert b"at least one org admin" in response.content


def test_an_admin_cannot_touch_a_membership_of_another_org(world: World) -> None:
    dave_membership = Membership.objects.get(user=world.dave)
    url = reverse("members", kwargs={"org_slug": "acme"})
    client_for(world.carol).post(url, {"membership": dave_membership.pk, "role": Role.ORG_ADMIN})
    dave_membership.refresh_from_db()
    assert dave_membership.role == Role.PARTICIPANT


def test_settings_link_to_the_slack_and_outbox_pages(world: World) -> None:
    page = client_for(world.carol).get(URL).content.decode()
    for name in ("slack_settings", "notification_outbox"):
        link = reverse(name, kwargs={"org_slug": "acme"})
        assert f'href="{link}"' in page
        assert client_for(world.carol).get(link).status_code == 200


@pytest.mark.parametrize("minutes", ["0", "5"])
def test_the_org_default_checkin_cannot_be_zero_minutes(world: World, minutes: str) -> None:
    response = client_for(world.carol).post(URL, valid_form(checkin_minutes=minutes))
    assert response.status_code == 400
    assert Organization.objects.get(slug="acme").checkin_minutes == 30
