"""Invitations for organizations without SSO: sent through the outbox once, opened without being
consumed, accepted by the person's own POST, expiring, resendable, refused to leavers, audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, World, client_for
from tests.directory.helpers import can_sign_in
from twoway.accounts.models import AuditEvent, Membership, Role, User
from twoway.directory.invitations import invitations_send
from twoway.directory.models import Invitation
from twoway.directory.services import person_deactivate
from twoway.integrations.email.transport import build_email
from twoway.notifications.models import OutboxMessage
from twoway.people.models import Person

NEW_PASSWORD = "a long walk by the river"


@pytest.fixture
def newbie(world: World) -> Person:
    return Person.objects.create(
        organization=world.acme, name="Nina Newman", email="nina@acme.example"
    )


def link_of(person: Person) -> str:
    message = OutboxMessage.objects.filter(recipient=person, kind="invitation").latest("id")
    body = str(build_email(message).body)
    match = re.search(r"https?://\S+(/invite/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def test_an_invitation_goes_out_once_through_the_outbox(world: World, newbie: Person) -> None:
    first = invitations_send(organization=world.acme, people=[newbie], actor=world.carol)
    again = invitations_send(organization=world.acme, people=[newbie], actor=world.carol)
    assert first.sent == [newbie]
    assert again.sent == [] and again.skipped == [(newbie, "already invited")]
    message = OutboxMessage.objects.get(recipient=newbie, kind="invitation")
    assert message.dedupe_key.startswith("invitation:")
    email = build_email(message)
    assert "Carol Chen invites you to Acme" in email.subject
    assert AuditEvent.objects.filter(
        action="invitation.send", target=f"person:{newbie.pk}"
    ).exists()


def test_people_who_can_already_sign_in_or_left_are_not_invited(world: World) -> None:
    result = invitations_send(
        organization=world.acme, people=[world.alice_person], actor=world.carol
    )
    assert result.skipped == [(world.alice_person, "can already sign in")]


def test_opening_the_link_consumes_nothing_and_confirming_signs_in(
    world: World, newbie: Person
) -> None:
    invitations_send(organization=world.acme, people=[newbie], actor=world.carol)
    url = link_of(newbie)
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    assert "Nina Newman" in page.content.decode()
    assert client.get(url).status_code == 200  # a mail scanner's second look changes nothing
    assert not User.objects.filter(email="nina@acme.example").exists()
    assert Invitation.objects.get(person=newbie).accepted_at is None

    mismatch = client.post(url, {"password": NEW_PASSWORD, "password_again": "something else"})
    assert mismatch.status_code == 400
    assert not User.objects.filter(email="nina@acme.example").exists()

    response = client.post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("my_profile", kwargs={"org_slug": "acme"})
    user = User.objects.get(email="nina@acme.example")
    assert Membership.objects.get(user=user, organization=world.acme).role == Role.PARTICIPANT
    assert Person.objects.get(pk=newbie.pk).user == user
    assert client.get(reverse("org_home", kwargs={"org_slug": "acme"})).status_code == 200
    assert can_sign_in("nina@acme.example", NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="invitation.accept", actor=user).exists()
    # The link works once.
    assert Client().get(url).status_code == 410


def test_a_weak_password_is_refused_with_the_reason(world: World, newbie: Person) -> None:
    invitations_send(organization=world.acme, people=[newbie], actor=world.carol)
    response = Client().post(link_of(newbie), {"password": "123", "password_again": "123"})
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert not User.objects.filter(email="nina@acme.example").exists()


def test_an_invitation_expires_and_a_resend_replaces_the_link(world: World, newbie: Person) -> None:
    invitations_send(organization=world.acme, people=[newbie], actor=world.carol)
    old = link_of(newbie)
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        assert Client().get(old).status_code == 410
        assert "expired" in Client().get(old).content.decode()
        renewed = invitations_send(organization=world.acme, people=[newbie], actor=world.carol)
        assert renewed.sent == [newbie]  # an expired invitation is renewed without asking
        new = link_of(newbie)
        assert new != old
        assert Client().get(old).status_code == 404
        assert Client().get(new).status_code == 200
    assert Invitation.objects.get(person=newbie).send_count == 2
    assert AuditEvent.objects.filter(action="invitation.resend").count() == 1


def test_a_person_who_left_cannot_accept(world: World, newbie: Person) -> None:
    invitations_send(organization=world.acme, people=[newbie], actor=world.carol)
    url = link_of(newbie)
    person_deactivate(person=newbie, left_on=dt.date(2025, 1, 31), actor=None, source="test")
    response = Client().post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 410
    assert not User.objects.filter(email="nina@acme.example").exists()
    assert AuditEvent.objects.filter(action="invitation.refused").exists()


def test_someone_with_an_account_elsewhere_proves_it_with_its_password(world: World) -> None:
    # Dave (Globex) is also in Acme's HR file.
    person = Person.objects.create(
        organization=world.acme, name="Dave Dunn", email="dave@globex.example"
    )
    invitations_send(organization=world.acme, people=[person], actor=world.carol)
    url = link_of(person)
    assert "already have a Twoway account" in Client().get(url).content.decode()
    wrong = Client().post(url, {"password": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert not Membership.objects.filter(user=world.dave, organization=world.acme).exists()
    right = Client().post(url, {"password": PASSWORD})
    assert right.status_code == 302
    assert Membership.objects.filter(user=world.dave, organization=world.acme).exists()
    assert can_sign_in("dave@globex.example", PASSWORD)  # unchanged


def test_an_admin_invites_everyone_a_team_or_one_person(world: World, newbie: Person) -> None:
    teammate = Person.objects.create(
        organization=world.acme, name="Tim Team", email="tim@acme.example", team=world.platform
    )
    carol = client_for(world.carol)
    send = reverse("directory_invite", kwargs={"org_slug": "acme"})
    carol.post(send, {"scope": "team", "team_id": world.platform.pk})
    assert set(Invitation.objects.values_list("person_id", flat=True)) == {teammate.pk}
    carol.post(send, {"scope": "everyone"})
    assert set(Invitation.objects.values_list("person_id", flat=True)) == {teammate.pk, newbie.pk}
    carol.post(send, {"scope": "person", "person_id": newbie.pk, "resend": "yes"})
    assert Invitation.objects.get(person=newbie).send_count == 2
    # Another organization's person is a 404 and nobody is invited.
    response = carol.post(send, {"scope": "person", "person_id": world.dave_person.pk})
    assert response.status_code == 404
    page = carol.get(reverse("directory_invitations", kwargs={"org_slug": "acme"}))
    assert "Tim Team" in page.content.decode() and "Pending" in page.content.decode()
