"""Email through a real SMTP server on loopback (aiosmtpd): content, headers, the .ics."""

from __future__ import annotations

from django.test import Client, override_settings

from tests.conftest import World
from tests.notifications.helpers import drain, row
from tests.notifications.servers import SmtpSink, free_port
from twoway.notifications.models import NotificationPreference, OutboxStatus
from twoway.notifications.services import Attachment, notify

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Twoway//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:abc@twoway\r\nDTSTAMP:20260501T080000Z\r\n"
    "DTSTART:20260505T080000Z\r\nDURATION:PT30M\r\nSUMMARY:Check-in\r\n"
    "RRULE:FREQ=WEEKLY;INTERVAL=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_it_sends_text_html_headers_and_the_invite(world: World, smtp: SmtpSink) -> None:
    notify(
        person=world.alice_person,
        kind="checkin_reminder",
        template="reminder_checkin",
        context={
            "partners": ["Bob O'Brien"],
            "when": "Tuesday 5 May, 10:00 (Europe/Berlin)",
            "minutes_before": 1440,
            "duration": 30,
            "url": "/o/acme/",
        },
        dedupe_key="checkin-reminder:1",
        attachments=[Attachment("invite.ics", ICS, "text/calendar")],
    )
    assert drain() == {"sent": 1}
    [message] = smtp.messages
    assert message["To"] == "alice@acme.example"
    assert message["Subject"] == (
        "Reminder: check-in with Bob O'Brien, Tuesday 5 May, 10:00 (Europe/Berlin)"
    )
    assert message["Message-ID"] == row("checkin-reminder:1").message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe.startswith("https://twoway.example.com/n/unsubscribe/")
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "Bob O'Brien" in text.get_content()  # not escaped in the text part
    assert "Bob O&#x27;Brien" in html.get_content()  # escaped in HTML
    assert unsubscribe in text.get_content()
    [invite] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert invite.get_param("method") == "REQUEST"
    assert invite.get_filename() == "invite.ics"
    assert "RRULE:FREQ=WEEKLY;INTERVAL=2" in invite.get_content()

    # The one-click unsubscribe from the header works without signing in.
    response = Client().post(unsubscribe.removeprefix("https://twoway.example.com"))
    assert response.status_code == 200
    assert (
        NotificationPreference.objects.get(
            person=world.alice_person, kind="checkin_reminder"
        ).channel
        == "off"
    )


def test_it_records_a_refused_address_as_permanent(world: World, smtp: SmtpSink) -> None:
    smtp.handler.refuse["alice@acme.example"] = "550 5.1.1 No such user"
    notify(
        person=world.alice_person,
        kind="request",
        template="reminder_request",
        context={"sender": "Bob", "program": "Peers", "days": 5},
        dedupe_key="r1",
    )
    assert drain() == {"failed": 1}
    message = row("r1")
    assert message.status == OutboxStatus.FAILED and message.failed_permanently
    assert "550" in message.last_error
    assert smtp.messages == []


def test_it_retries_when_the_server_is_down(world: World, smtp: SmtpSink) -> None:
    with override_settings(EMAIL_PORT=free_port()):
        notify(
            person=world.alice_person,
            kind="request",
            template="reminder_request",
            context={"sender": "Bob", "program": "Peers", "days": 5},
            dedupe_key="r1",
        )
        assert drain() == {"retry": 1}
    assert row("r1").status == OutboxStatus.PENDING
    assert "refused" in row("r1").last_error.lower()
