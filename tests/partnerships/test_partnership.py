from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import World, client_for
from tests.partnerships.factories import goal, pair, past_checkin, series
from twoway.meetings.models import CheckIn
from twoway.meetings.services import shared_note_add
from twoway.notifications.models import OutboxMessage
from twoway.partnerships.models import Reflection
from twoway.programs.models import Enrolment, PartnershipMember

REASON = "Bob keeps cancelling and I feel he is not interested"


def url(name: str, w: World) -> str:
    return reverse(name, kwargs={"org_slug": "acme", "partnership_id": pair(w).pk})


def test_the_home_shows_the_partner_and_what_each_can_bring(world: World) -> None:
    page = client_for(world.alice).get(url("partnership_home", world)).content.decode()
    assert "Bob Baker" in page
    # Bob offers client relationships, which alice wants to grow.
    assert "Client relationships" in page
    assert "This needs more than a peer" in page


def test_the_home_page_query_count_does_not_grow_with_history(world: World) -> None:
    series(world)
    goal(world)
    client = client_for(world.alice)
    checkin = past_checkin(world)
    shared_note_add(checkin=checkin, by=world.bob_person, body="one")
    with CaptureQueriesContext(connection) as few:
        client.get(url("partnership_home", world))
    for _ in range(5):
        c = CheckIn.objects.create(
            partnership=pair(world), scheduled_start=checkin.scheduled_start, status="held"
        )
        shared_note_add(checkin=c, by=world.alice_person, body="more")
    with CaptureQueriesContext(connection) as many:
        client.get(url("partnership_home", world))
    assert len(many) == len(few)


def test_ending_keeps_the_reason_private_and_tells_the_partner_kindly(world: World) -> None:
    s = series(world)
    Enrolment.objects.create(program=pair(world).program, person=world.alice_person)
    response = client_for(world.alice).post(
        url("partnership_end", world), {"outcome": "early", "reason": REASON, "rematch": "on"}
    )
    assert response.status_code == 302
    p = pair(world)
    p.refresh_from_db()
    assert p.status == "ended"
    member = PartnershipMember.objects.get(partnership=p, person=world.alice_person)
    assert member.end_reason == REASON
    assert Enrolment.objects.get(person=world.alice_person).wants_rematch
    # The partner is told, without the reason; the series is cancelled for both calendars: the
    # partner's calendar update travels with the kind note, not in a "Cancelled" email first.
    [told] = OutboxMessage.objects.filter(recipient=world.bob_person, template="partnership_ended")
    assert REASON not in str(told.context)
    assert told.attachments and "BEGIN:VCALENDAR" in told.attachments[0]["content"]
    assert not OutboxMessage.objects.filter(
        recipient=world.bob_person, template="checkin_cancel"
    ).exists()
    assert OutboxMessage.objects.filter(
        recipient=world.alice_person, template="checkin_cancel"
    ).exists()
    s.refresh_from_db()
    assert s.cancelled_at is not None
    for who in (world.alice, world.bob):
        page = client_for(who).get(url("partnership_home", world)).content.decode()
        assert REASON not in page and "Ended early" in page
    # Ending twice is refused kindly.
    again = client_for(world.bob).post(url("partnership_end", world), {"outcome": "completed"})
    assert again.status_code == 302


def test_ending_without_choosing_how_is_a_400_and_keeps_the_reason(world: World) -> None:
    response = client_for(world.alice).post(url("partnership_end", world), {"reason": REASON})
    assert response.status_code == 400 and REASON in response.content.decode()
    pair(world).refresh_from_db()
    assert pair(world).status == "active"


def test_a_reflection_is_private_unless_shared(world: World) -> None:
    client_for(world.alice).post(
        url("partnership_reflection", world), {"learned": "Patience", "taught": "SQL joins"}
    )
    assert Reflection.objects.get().shared is False
    assert (
        "SQL joins"
        not in client_for(world.bob).get(url("partnership_home", world)).content.decode()
    )
    client_for(world.alice).post(
        url("partnership_reflection", world),
        {"learned": "Patience", "taught": "SQL joins", "shared": "on"},
    )
    assert "SQL joins" in client_for(world.bob).get(url("partnership_home", world)).content.decode()
