"""A soft leave: the date is kept, requests close, partnerships end kindly for the partner with a
rematch offer, waiting messages are cancelled, sign-in is refused, history stays."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, World, client_for
from tests.programs.helpers import enrol, make_program
from twoway.accounts.models import AuditEvent, Membership, Role
from twoway.directory.invitations import invitations_send
from twoway.directory.models import Invitation
from twoway.directory.services import person_deactivate
from twoway.notifications.models import OutboxMessage, OutboxStatus
from twoway.notifications.services import notify
from twoway.programs.models import (
    Enrolment,
    EnrolmentStatus,
    MatchRequest,
    Partnership,
    PartnershipStatus,
    RequestStatus,
)
from twoway.programs.services import partnership_create

LEFT = dt.date(2025, 6, 30)


def test_a_leaver_leaves_kindly_and_keeps_their_history(world: World) -> None:
    program = make_program(world.acme, name="Peers")
    for person in (world.alice_person, world.bob_person, world.carol_person):
        enrol(program, person)
    partnership = partnership_create(
        program=program, people=[world.alice_person, world.bob_person], source="hand"
    )
    sent = MatchRequest.objects.create(
        program=program, sender=world.alice_person, receiver=world.carol_person, note="Hi"
    )
    received = MatchRequest.objects.create(
        program=program, sender=world.carol_person, receiver=world.alice_person, note="Hello"
    )
    waiting = notify(
        person=world.alice_person,
        kind="checkin_reminder",
        template="reminder_checkin",
        context={},
        dedupe_key="test:waiting-for-alice",
    )
    assert waiting is not None

    alice = person_deactivate(
        person=world.alice_person, left_on=LEFT, actor=world.carol, source="test"
    )

    assert not alice.is_active and alice.left_on == LEFT
    # Requests both ways are closed; the person who asked Alice is told.
    assert MatchRequest.objects.get(pk=sent.pk).status == RequestStatus.WITHDRAWN
    assert MatchRequest.objects.get(pk=received.pk).status == RequestStatus.WITHDRAWN
    assert OutboxMessage.objects.filter(
        recipient=world.carol_person, template="request_withdrawn"
    ).exists()
    assert Enrolment.objects.get(program=program, person=alice).status == EnrolmentStatus.WITHDRAWN
    # The partnership ended, is kept, and Bob is offered a new peer (not put back unasked).
    ended = Partnership.objects.get(pk=partnership.pk)
    assert ended.status == PartnershipStatus.ENDED and ended.ended_by_id == alice.pk
    assert not Enrolment.objects.get(program=program, person=world.bob_person).wants_rematch
    note = OutboxMessage.objects.get(
        recipient=world.bob_person, template="partnership_partner_left"
    )
    assert note.context["partner"] == "Alice Archer"
    assert note.status == OutboxStatus.PENDING
    page = client_for(world.bob).get(reverse("my_partnerships", kwargs={"org_slug": "acme"}))
    assert "Peers" in page.content.decode()
    # Nothing more goes to Alice.
    assert not OutboxMessage.objects.filter(recipient=alice, status=OutboxStatus.PENDING).exists()
    assert OutboxMessage.objects.get(pk=waiting.pk).status == OutboxStatus.SKIPPED
    # She cannot sign in any more: Acme was her only organization.
    assert not Membership.objects.filter(user=world.alice, organization=world.acme).exists()
    assert not Client().login(username="alice@acme.example", password=PASSWORD)
    event = AuditEvent.objects.get(action="person.deactivate", target=f"person:{alice.pk}")
    assert (
        event.details["left_on"] == "2025-06-30" and event.details["role_removed"] == "participant"
    )
    assert event.actor == world.carol


def test_a_signed_in_leaver_is_signed_out_of_the_organization(world: World) -> None:
    client = client_for(world.alice)
    home = reverse("org_home", kwargs={"org_slug": "acme"})
    assert client.get(home).status_code == 200
    person_deactivate(person=world.alice_person, left_on=LEFT, actor=None, source="test")
    response = client.get(home)
    assert response.status_code in (302, 404)


def test_a_leaver_who_belongs_to_another_organization_keeps_that_one(world: World) -> None:
    Membership.objects.create(user=world.alice, organization=world.globex, role=Role.PARTICIPANT)
    person_deactivate(person=world.alice_person, left_on=LEFT, actor=None, source="test")
    assert Client().login(username="alice@acme.example", password=PASSWORD)
    client = client_for(world.alice)
    assert client.get(reverse("org_home", kwargs={"org_slug": "acme"})).status_code == 404
    assert client.get(reverse("org_home", kwargs={"org_slug": "globex"})).status_code == 200


def test_both_partners_leaving_at_once_ends_the_partnership_once(world: World) -> None:
    program = make_program(world.acme)
    enrol(program, world.alice_person)
    enrol(program, world.bob_person)
    partnership = partnership_create(
        program=program, people=[world.alice_person, world.bob_person], source="hand"
    )
    from twoway.directory.services import people_deactivate

    left = people_deactivate(
        organization=world.acme,
        leavers=[(world.alice_person.pk, LEFT), (world.bob_person.pk, LEFT)],
        actor=None,
        source="test",
    )
    assert left == 2
    assert Partnership.objects.get(pk=partnership.pk).status == PartnershipStatus.ENDED
    assert not OutboxMessage.objects.filter(template="partnership_partner_left").exists()


def test_a_pending_invitation_dies_with_the_leave(world: World) -> None:
    from twoway.people.models import Person

    newbie = Person.objects.create(organization=world.acme, name="New Bie", email="nb@acme.example")
    invitations_send(organization=world.acme, people=[newbie], actor=world.carol)
    person_deactivate(person=newbie, left_on=LEFT, actor=None, source="test")
    assert Invitation.objects.get(person=newbie).revoked_at is not None


def test_deactivating_someone_who_already_left_changes_nothing(world: World) -> None:
    person_deactivate(person=world.alice_person, left_on=LEFT, actor=None, source="test")
    again = person_deactivate(
        person=world.alice_person, left_on=dt.date(2025, 7, 1), actor=None, source="test"
    )
    assert again.left_on == LEFT
    assert AuditEvent.objects.filter(action="person.deactivate").count() == 1
