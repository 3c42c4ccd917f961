"""Emails as their recipients read them: the right names for the one who acted and for their
partner, what changed with dates in the reader's own time zone, the invitation as a
text/calendar part Outlook offers Accept/Decline for, and every template rendered for both
roles with its links and footer checked."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.urls import Resolver404, resolve

from tests.conftest import World
from tests.partnerships.factories import pair
from tests.programs.helpers import enrol, make_program
from twoway.integrations.email.transport import build_email
from twoway.meetings.models import CheckIn, CheckinSeries
from twoway.meetings.services import (
    checkin_cancel,
    checkin_move,
    checkin_next_set,
    checkin_schedule_set,
    checkin_series_cancel,
)
from twoway.notifications.kinds import can_turn_off, kind_label
from twoway.notifications.models import OutboxMessage
from twoway.partnerships.services import partnership_close
from twoway.people.models import Person
from twoway.programs.services import request_accept, request_decline, request_send

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# Sunday 1 March 2026, noon in Berlin; summer time starts on Sunday 29 March.
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=BERLIN)
HOUR = dt.timedelta(hours=1)


def schedule(w: World, by: Person | None = None, **overrides: object) -> CheckinSeries:
    partnership = pair(w)
    partnership.ends_on = dt.date(2026, 6, 30)
    partnership.save(update_fields=["ends_on"])
    args: dict[str, object] = {
        "partnership": partnership,
        "by": by or w.alice_person,
        "weekday": 1,  # Tuesday
        "local_time": dt.time(10, 0),
        "time_zone": "Europe/Berlin",
        "every_weeks": 2,
        "duration_minutes": 30,
        "mode": "video",
        "location": "https://meet.example/x",
    }
    args.update(overrides)
    return checkin_schedule_set(**args)  # type: ignore[arg-type]


def latest(person: Person, template: str) -> OutboxMessage:
    found = OutboxMessage.objects.filter(recipient=person, template=template).order_by("-id")
    message = found.first()
    assert message is not None, f"no {template} for {person.name}"
    return message


def read(message: OutboxMessage) -> tuple[str, str, str]:
    """Subject, text body and HTML body as sent."""
    email = build_email(message)
    [(html, _)] = [(c, m) for c, m in email.alternatives if m == "text/html"]
    return str(email.subject), str(email.body), str(html)


def greeted_once(person: Person, text: str) -> None:
    """Addressed as "you": the reader's own name is in the greeting and nowhere else."""
    assert text.startswith(f"Hello {person.name},")
    assert text.count(person.name) == 1, text


@pytest.fixture
def bob_in_new_york(world: World) -> World:
    world.bob_person.time_zone = "America/New_York"
    world.bob_person.save(update_fields=["time_zone"])
    return world


@time_machine.travel(NOW, tick=False)
def test_a_new_series_names_the_actor_and_the_partner_right(bob_in_new_york: World) -> None:
    w = bob_in_new_york
    schedule(w)
    subject, text, _ = read(latest(w.alice_person, "checkin_invite"))
    assert subject == "Check-ins with Bob Baker: every 2 weeks on Tuesday"
    greeted_once(w.alice_person, text)
    assert "You set up regular check-ins with Bob Baker." in text
    assert "Every 2 weeks on Tuesday at 10:00 (Europe/Berlin time), 30 minutes, video call" in text
    assert "Next check-in: Tuesday 3 March 2026, 10:00 (Europe/Berlin)." in text
    home = f"{settings.BASE_URL}/o/acme/partnerships/{pair(w).pk}/"
    assert f"Agenda and notes:\n\n{home}\n" in text

    subject, text, html = read(latest(w.bob_person, "checkin_invite"))
    assert subject == "Check-ins with Alice Archer: every 2 weeks on Tuesday"
    greeted_once(w.bob_person, text)
    assert "Alice Archer set up regular check-ins with you." in text
    # Bob reads the date in his own time zone.
    assert "Next check-in: Tuesday 3 March 2026, 04:00 (America/New_York)." in text
    assert "Every 1 week" not in text and "with you and" not in text
    assert "Calendar invites keep your calendar" in html and "/n/unsubscribe/" not in html
    assert f'href="{home}"' in html


@time_machine.travel(NOW, tick=False)
def test_a_change_says_what_changed(bob_in_new_york: World) -> None:
    w = bob_in_new_york
    schedule(w)
    schedule(w, by=w.bob_person, weekday=3, local_time=dt.time(15, 30), every_weeks=1)
    subject, text, _ = read(latest(w.alice_person, "checkin_invite"))
    assert subject == "Updated: check-ins with Bob Baker, every week on Thursday"
    greeted_once(w.alice_person, text)
    assert "Bob Baker changed your regular check-ins." in text
    assert "Day and time: Tuesday 10:00 (Europe/Berlin) → Thursday 15:30 (Europe/Berlin)" in text
    assert "How often: every 2 weeks → every week" in text
    assert "Length" not in text
    _, text, _ = read(latest(w.bob_person, "checkin_invite"))
    assert "You changed your regular check-ins with Alice Archer." in text
    assert "Next check-in: Thursday 5 March 2026, 09:30 (America/New_York)." in text

    schedule(
        w,
        by=w.bob_person,
        weekday=3,
        local_time=dt.time(15, 30),
        every_weeks=1,
        duration_minutes=45,
    )
    _, text, _ = read(latest(w.alice_person, "checkin_invite"))
    assert "What changed:\n- Length: 30 → 45 minutes\n" in text


@time_machine.travel(NOW, tick=False)
def test_a_move_and_a_cancellation_give_their_dates(bob_in_new_york: World) -> None:
    w = bob_in_new_york
    series = schedule(w)
    first, second = CheckIn.objects.filter(series=series).order_by("scheduled_start")[:2]
    checkin_move(
        checkin=first, by=w.bob_person, start=dt.datetime(2026, 3, 4, 16, 0, tzinfo=BERLIN)
    )
    subject, text, _ = read(latest(w.alice_person, "checkin_invite"))
    assert (
        subject
        == "Moved: check-in with Bob Baker, now Wednesday 4 March 2026, 16:00 (Europe/Berlin)"
    )
    assert "Bob Baker moved your check-in." in text
    assert "It was on Tuesday 3 March 2026, 10:00 (Europe/Berlin)." in text
    assert "It is now on Wednesday 4 March 2026, 16:00 (Europe/Berlin)." in text
    _, text, _ = read(latest(w.bob_person, "checkin_invite"))
    assert "You moved your check-in with Alice Archer." in text
    assert "It is now on Wednesday 4 March 2026, 10:00 (America/New_York)." in text

    checkin_cancel(checkin=second, by=w.alice_person)
    subject, text, _ = read(latest(w.bob_person, "checkin_cancel"))
    assert (
        subject
        == "Cancelled: check-in with Alice Archer, Tuesday 17 March 2026, 05:00 (America/New_York)"
    )
    greeted_once(w.bob_person, text)
    assert "Alice Archer cancelled your check-in on Tuesday 17 March 2026, 05:00" in text
    _, text, _ = read(latest(w.alice_person, "checkin_cancel"))
    assert "You cancelled your check-in with Bob Baker on Tuesday 17 March 2026, 10:00" in text


@time_machine.travel(NOW, tick=False)
def test_a_one_off_says_when_and_how_the_pair_meet(world: World) -> None:
    schedule(world, mode="in_person", location="Room 12")
    series = CheckinSeries.objects.get()
    checkin_series_cancel(series=series, by=world.alice_person)
    _, text, _ = read(latest(world.bob_person, "checkin_cancel"))
    assert "Alice Archer stopped your regular check-ins." in text
    after = CheckIn.objects.filter(series=series).first()
    assert after is not None
    checkin_next_set(
        partnership=pair(world),
        by=world.bob_person,
        after=after,
        start=dt.datetime(2026, 3, 6, 14, 0, tzinfo=BERLIN),
    )
    message = latest(world.alice_person, "checkin_invite")
    subject, text, _ = read(message)
    assert subject == "Check-in with Bob Baker, Friday 6 March 2026, 14:00 (Europe/Berlin)"
    assert "Bob Baker planned a check-in with you." in text
    assert "30 minutes, in person: Room 12." in text
    ics = message.attachments[0]["content"]
    assert "In person: Room 12" in ics and "Video call" not in ics
    assert re.search(r"ORGANIZER;CN=\"?Bob Baker\"?:mailto:bob@acme.example", ics)


def mime_parts(message: OutboxMessage) -> list[Message]:
    return list(build_email(message).message().walk())


@time_machine.travel(NOW, tick=False)
def test_the_invitation_is_a_text_calendar_part_and_an_attachment(world: World) -> None:
    series = schedule(world)
    parts = mime_parts(latest(world.bob_person, "checkin_invite"))
    alternative = next(p for p in parts if p.get_content_type() == "multipart/alternative")
    inside: list[Message] = list(alternative.get_payload())  # type: ignore[arg-type]
    assert [p.get_content_type() for p in inside] == ["text/plain", "text/html", "text/calendar"]
    calendar = inside[2]
    assert calendar.get_param("method") == "REQUEST"
    payload = calendar.get_payload(decode=True)
    assert isinstance(payload, bytes) and b"BEGIN:VCALENDAR" in payload
    attached = [p for p in parts if p.get_filename() == "invite.ics"]
    assert len(attached) == 1 and attached[0].get_param("method") == "REQUEST"

    occurrence = CheckIn.objects.filter(series=series).order_by("scheduled_start").first()
    assert occurrence is not None
    checkin_cancel(checkin=occurrence, by=world.alice_person)
    parts = mime_parts(latest(world.bob_person, "checkin_cancel"))
    [calendar] = [
        p for p in parts if p.get_content_type() == "text/calendar" and not p.get_filename()
    ]
    assert calendar.get_param("method") == "CANCEL"


@time_machine.travel(NOW, tick=False)
def test_the_partner_of_who_ends_gets_the_kind_note_only_with_the_calendar_update(
    world: World,
) -> None:
    schedule(world)
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    with time_machine.travel(NOW + dt.timedelta(weeks=3), tick=False):
        partnership = pair(world)
        partnership.refresh_from_db()
        partnership_close(
            partnership=partnership,
            by=world.alice_person,
            completed=False,
            reason="",
            rematch=False,
        )
    new = OutboxMessage.objects.exclude(pk__in=before)
    [to_bob] = new.filter(recipient=world.bob_person)
    assert to_bob.template == "partnership_ended"
    subject, text, html = read(to_bob)
    greeted_once(world.bob_person, text)
    assert "Alice Archer has marked your partnership" in text
    assert "Your future check-ins together are taken off your calendar" in text
    assert "cannot be turned off" in html  # calendar updates are not switched off by a link
    [calendar] = to_bob.attachments
    assert "METHOD:REQUEST" in calendar["content"] and "UNTIL=" in calendar["content"]
    assert any(p.get_content_type() == "text/calendar" for p in mime_parts(to_bob))

    [to_alice] = new.filter(recipient=world.alice_person)
    subject, text, _ = read(to_alice)
    assert subject == "Your check-ins with Bob Baker are off your calendar"
    assert "You ended your partnership with Bob Baker, so your check-ins stop." in text
    assert "the ones you already had stay there" in text


# --- every template, both roles ---------------------------------------------------------------

# Sent to an address rather than to a member of a partnership (tested where they are sent:
# the HR request below and in tests/support, the password reset in tests/integrations).
NOT_TO_A_MEMBER = {"support_hr_request", "password_reset"}
TEMPLATES = sorted(
    p.name.removesuffix("-subject.txt")
    for p in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*-subject.txt")
    if p.name.removesuffix("-subject.txt") not in NOT_TO_A_MEMBER
)
# Plain notices outside the base layout (no kind footer: they cannot be turned off).
NO_FOOTER = {"hr_contact_changed"}
ONE_OTHER: dict[str, Any] = {}


def context_for(template: str, me: Person, other: Person, partnership_id: int) -> dict[str, Any]:
    """The context each rule or service stores for `template`, sent to `me` about `other`."""
    when = "Tuesday 3 March 2026, 10:00 (Europe/Berlin)"
    partners = [other.name]
    base: dict[str, Any] = {"partnership_id": partnership_id, "org_slug": "acme"}
    checkin = {
        "by": other.name,
        "by_you": False,
        "partners": partners,
        "partner_names": other.name,
        "others": "",
        "url": f"/o/acme/partnerships/{partnership_id}/",
        "every": "every 2 weeks",
        "weekday": "Tuesday",
        "local_time": "10:00",
        "time_zone": "Europe/Berlin",
        "minutes": 30,
        "mode": "Video call",
        "location": "",
        "change": "new",
        "next_when": when,
        "when": when,
        "before_when": when,
        "last_when": when,
        "kept": True,
        "changes": [],
    }
    contexts: dict[str, dict[str, Any]] = {
        "checkin_invite": checkin,
        "checkin_cancel": {**checkin, "change": "stopped"},
        "digest_weekly": {
            "week": "2026-W10",
            "upcoming": [when],
            "partners": partners,
            "requests_waiting": 1,
            "url": "/o/acme/",
        },
        "nudge_cadence": {
            "partners": partners,
            "weeks": 2,
            "since": when,
            "met_before": True,
            "url": "/o/acme/",
        },
        "round_left_out": {
            "program": "Peer partners",
            "because": "an odd number of people were waiting",
            "self_match": True,
            "url": "/o/acme/programs/1/peers/",
        },
        "request_expired": {
            "request_id": 1,
            "receiver": other.name,
            "program": "Peer partners",
            "url": "/o/acme/",
        },
        "request_program_closed": {
            "program": "Peer partners",
            "org_slug": "acme",
            "receiver": other.name,
        },
        "partnership_ended": {
            "partner": other.name,
            "completed": False,
            "program": "Peer partners",
            "calendar": True,
            "url": f"/o/acme/partnerships/{partnership_id}/reflection/",
        },
        "program_intro": {
            "program": "Peer partners",
            "partners": [{"name": other.name, "title": "Engineer", "email": other.email}],
            "reasons": ["You can teach SQL"],
            "cadence_weeks": 2,
            "cadence_minutes": 30,
        },
        "reminder_checkin": {
            "checkin_id": 1,
            "partners": partners,
            "when": when,
            "minutes_before": 60,
            "duration": 30,
            "url": "/o/acme/",
        },
        "reminder_did_you_meet": {
            "checkin_id": 1,
            "partners": partners,
            "when": when,
            "url": "/o/acme/",
        },
        "reminder_feedback": {
            "round_id": 1,
            "partners": partners,
            "deadline": when,
            "url": "/o/acme/",
        },
        "reminder_fit_check": {"partners": partners, "url": "/o/acme/"},
        "reminder_goals": {
            "partners": partners,
            "templates": ["Grow as a speaker"],
            "url": "/o/acme/",
        },
        "reminder_reflection": {
            "partners": partners,
            "program": "Peer partners",
            "url": "/o/acme/",
        },
        "reminder_request": {
            "request_id": 1,
            "sender": other.name,
            "program": "Peer partners",
            "days": 5,
            "url": "/o/acme/",
        },
        "request_accepted": {
            "program": "Peer partners",
            "receiver": other.name,
            "response": "Gladly!",
        },
        "request_declined": {
            "program": "Peer partners",
            "receiver": other.name,
            "response": "Not now, sorry.",
        },
        "request_received": {
            "program": "Peer partners",
            "sender": other.name,
            "sender_title": "Engineer",
            "note": "Shall we?",
            "request_id": 1,
        },
        "request_withdrawn": {"program": "Peer partners", "receiver": other.name},
        "directory_invitation": {
            "inviter": other.name,
            "expires": "14 March 2026",
            "url": "/invite/a-token/",
        },
        "partnership_partner_left": {
            "partner": other.name,
            "program": "Peer partners",
            "url": "/o/acme/partnerships/",
        },
        "hr_contact_changed": {
            "program": "Peer partners",
            "program_id": 1,
            "actor": other.name,
            "old_name": "Hana Hill",
            "old_email": "hr@acme.example",
            "new_name": "Ivo Ito",
            "new_email": "ivo@acme.example",
        },
        "summary_program": {
            "program_id": 1,
            "program": "Peer partners",
            "week": "2026-W10",
            "active_pairs": 3,
            "new_pairs": 1,
            "open_requests": 2,
            "stalled": [],
            "url": "/o/acme/",
        },
    }
    return {**base, **contexts[template]}


KIND_OF = {
    "directory_invitation": "invitation",
    "partnership_partner_left": "partnership",
    "hr_contact_changed": "admin_notice",
    "checkin_invite": "checkin_invite",
    "checkin_cancel": "checkin_cancel",
    "digest_weekly": "digest",
    "nudge_cadence": "nudge",
    "request_expired": "request",
    "request_program_closed": "request",
    "round_left_out": "round_left_out",
    "partnership_ended": "partnership_ended",
    "program_intro": "introduction",
    "reminder_checkin": "checkin_reminder",
    "reminder_did_you_meet": "did_you_meet",
    "reminder_feedback": "feedback",
    "reminder_fit_check": "fit_check",
    "reminder_goals": "goals",
    "reminder_reflection": "reflection",
    "reminder_request": "request",
    "request_accepted": "request",
    "request_declined": "request",
    "request_received": "request",
    "request_withdrawn": "request",
    "summary_program": "program_summary",
}
# Where the main button of each email must lead (the partnership's own pages, not the org home).
LEADS_TO = {
    "checkin_invite": "partnership_home",
    "checkin_cancel": "partnership_home",
    "nudge_cadence": "partnership_home",
    "program_intro": "partnership_home",
    "request_accepted": "partnership_home",
    "reminder_fit_check": "fit_check",
    "reminder_checkin": "checkin_detail",
    "reminder_did_you_meet": "checkin_detail",
    "reminder_reflection": "partnership_reflection",
    "partnership_ended": "partnership_reflection",
    "request_received": "requests",
    "reminder_request": "requests",
    "round_left_out": "program_peers",
}
NAMES_THE_OTHER = set(KIND_OF) - {
    "digest_weekly",
    "summary_program",
    "reminder_feedback",
    "reminder_goals",
    "round_left_out",
}


def test_every_template_is_listed() -> None:
    assert set(TEMPLATES) == set(KIND_OF)


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("role", ["alice", "bob"])
def test_every_email_reads_right_for_both_roles(world: World, template: str, role: str) -> None:
    me, other = (world.alice_person, world.bob_person)
    if role == "bob":
        me, other = other, me
    partnership_id = pair(world).pk
    message = OutboxMessage(
        organization=world.acme,
        recipient=me,
        kind=KIND_OF[template],
        template=template,
        context=context_for(template, me, other, partnership_id),
        dedupe_key=f"t:{template}:{role}",
    )
    subject, text, html = read(message)
    for body in (subject, text, html):
        assert "{{" not in body and "{%" not in body and "None" not in body
    greeted_once(me, text)
    assert f"Hello {me.name}," in html and html.count(me.name) == 1
    assert me.name not in subject
    if template in NAMES_THE_OTHER:
        assert other.name in text and other.name in html
    if template not in NO_FOOTER:
        # The footer names the kind of message as the settings page does.
        label = kind_label(KIND_OF[template])
        assert "are on" not in html
        if can_turn_off(KIND_OF[template]):
            assert f"because “{label}” is on" in html and f'because "{label}" is on' in text
            unsubscribe = re.search(r'href="(http://[^"]+/n/unsubscribe/[^"]+)"', html)
            assert unsubscribe is not None and unsubscribe.group(1) in text
        else:
            # Calendar updates cannot be switched off by a link; the footer says why.
            assert "cannot be turned off" in html and "cannot be turned off" in text
            assert "/n/unsubscribe/" not in html
    # Every link resolves, and the main button leads where the email is about.
    links = re.findall(r'href="([^"]+)"', html)
    for link in links:
        assert link.startswith(settings.BASE_URL), link
        try:
            resolve(link.removeprefix(settings.BASE_URL))
        except Resolver404:
            pytest.fail(f"{template}: dead link {link}")
    if template in LEADS_TO:
        button = links[0]
        match = resolve(button.removeprefix(settings.BASE_URL))
        assert match.url_name == LEADS_TO[template], (template, button)
        if "partnership_id" in match.kwargs:
            assert match.kwargs["partnership_id"] == partnership_id
        assert button.removeprefix(settings.BASE_URL) in text


@time_machine.travel(NOW, tick=False)
def test_every_email_the_real_flows_write_reads_right(world: World) -> None:
    """Requests, the introduction, every check-in change and the ending, as the services write
    them: each email greets its reader, names the other, and every link in it works."""
    # Carol (L5) asks Alice (L3): the program allows two steps between peers.
    program = make_program(world.acme, max_level_gap=2)
    for person in (world.alice_person, world.bob_person, world.carol_person):
        enrol(program, person)
    declined = request_send(
        program=program, sender=world.carol_person, receiver=world.alice_person, note="Hi!"
    )
    request_decline(request=declined, by=world.alice_person, response="Not now")
    request = request_send(
        program=program, sender=world.bob_person, receiver=world.alice_person, note="Shall we?"
    )
    partnership = request_accept(request=request, by=world.alice_person, response="Gladly")
    partnership.ends_on = dt.date(2026, 6, 30)
    partnership.save(update_fields=["ends_on"])
    common = {"weekday": 1, "time_zone": "Europe/Berlin", "mode": "video", "every_weeks": 2}
    series = checkin_schedule_set(
        partnership=partnership,
        by=world.alice_person,
        local_time=dt.time(10, 0),
        duration_minutes=30,
        **common,  # type: ignore[arg-type]
    )
    first, second = CheckIn.objects.filter(series=series).order_by("scheduled_start")[:2]
    checkin_move(checkin=first, by=world.bob_person, start=first.scheduled_start + HOUR)
    checkin_cancel(checkin=second, by=world.bob_person)
    with time_machine.travel(NOW + dt.timedelta(weeks=3), tick=False):
        checkin_schedule_set(
            partnership=partnership,
            by=world.bob_person,
            local_time=dt.time(11, 0),
            duration_minutes=45,
            **common,  # type: ignore[arg-type]
        )
    with time_machine.travel(NOW + dt.timedelta(weeks=6), tick=False):
        partnership.refresh_from_db()
        partnership_close(
            partnership=partnership, by=world.bob_person, completed=True, reason="", rematch=False
        )
    names = {p.pk: p.name for p in (world.alice_person, world.bob_person, world.carol_person)}
    messages = list(OutboxMessage.objects.select_related("recipient", "organization"))
    templates = {m.template for m in messages}
    assert {
        "request_received",
        "request_declined",
        "request_accepted",
        "program_intro",
    } <= templates
    assert {"checkin_invite", "checkin_cancel", "partnership_ended"} <= templates
    for message in messages:
        subject, text, html = read(message)
        reader = message.recipient
        assert reader is not None
        greeted_once(reader, text)
        assert reader.name not in subject
        others = [n for pk, n in names.items() if pk != reader.pk and n in text]
        assert others, f"{message.template} to {reader.name} names nobody"
        assert "None" not in text and "{{" not in html
        for link in re.findall(r'href="([^"]+)"', html):
            path = link.removeprefix(settings.BASE_URL)
            assert "//" not in path, link
            try:
                match = resolve(path)
            except Resolver404:
                pytest.fail(f"{message.template}: dead link {link}")
            if "partnership_id" in match.kwargs:
                assert match.kwargs["partnership_id"] == partnership.pk


def test_the_hr_request_names_the_person_and_greets_the_hr_contact() -> None:
    """The one email not sent through the outbox templates' base: it goes to HR, not a member."""
    from django.template.loader import render_to_string

    context = {
        "hr_name": "Hana Hill",
        "person_name": "Alice O'Archer",
        "person_email": "alice@acme.example",
        "program": "Peer partners",
        "organization": "Acme",
        "message": "I could use some help",
        "base_url": settings.BASE_URL,
    }
    body = render_to_string("emails/support_hr_request-body.txt", context)
    subject = render_to_string("emails/support_hr_request-subject.txt", context)
    assert body.startswith("Hello Hana Hill,")
    assert "Alice O'Archer (alice@acme.example)" in body and "I could use some help" in body
    assert "Hana Hill" not in subject and "{{" not in subject + body
