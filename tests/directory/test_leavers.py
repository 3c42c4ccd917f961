"""A soft leave: the date is kept, requests close, partnerships end kindly for the partner with a
rematch offer, waiting messages are cancelled, sign-in is refused, history stays."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from tests.conftest import PASSWORD, World, client_for
from tests.directory.helpers import can_sign_in
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
    assert not can_sign_in("alice@acme.example", PASSWORD)
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
    assert can_sign_in("alice@acme.example", PASSWORD)
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


def test_a_leavers_future_check_ins_are_cancelled_in_the_partners_calendar(world: World) -> None:
    from tests.partnerships.factories import series
    from twoway.meetings.models import CheckIn, CheckinSeries, CheckinStatus

    checkins = series(world)
    assert CheckIn.objects.filter(series=checkins, status=CheckinStatus.SCHEDULED).exists()
    person_deactivate(person=world.alice_person, left_on=LEFT, actor=None, source="test")
    assert CheckinSeries.objects.get(pk=checkins.pk).cancelled_at is not None
    assert not CheckIn.objects.filter(series=checkins, status=CheckinStatus.SCHEDULED).exists()
    cancel = OutboxMessage.objects.get(recipient=world.bob_person, template="checkin_cancel")
    assert cancel.status == OutboxStatus.PENDING  # Bob's calendar is told
    assert not OutboxMessage.objects.filter(
        recipient=world.alice_person, status=OutboxStatus.PENDING
    ).exists()


def test_an_admin_cannot_make_themselves_leave_by_file(world: World) -> None:
    from tests.directory.helpers import csv_text
    from twoway.directory.services import directory_import_preview

    text = csv_text(
        [["carol@acme.example", "Carol Chen", "terminated", "2025-01-31"]],
        ["email", "name", "status", "leaving date"],
    )
    preview = directory_import_preview(
        organization=world.acme, actor=world.carol, filename="me.csv", data=text.encode()
    )
    assert [(e["row"], e["column"]) for e in preview.summary["errors"]] == [(2, "status")]
