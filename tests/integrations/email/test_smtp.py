"""Email through a real SMTP server on loopback (aiosmtpd): content, headers, the .ics."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from tests.conftest import World
from tests.notifications.helpers import drain, row
from tests.notifications.servers import SilentServer, SmtpSink, free_port
from twoway.notifications.models import NotificationPreference, OutboxMessage, OutboxStatus
from twoway.notifications.services import Attachment, notify
from twoway.notifications.worker import BACKOFF_MAX, MAX_ATTEMPTS

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


# --- what the relay says, and what it means for the queue ------------------------------------


def queue_three(w: World) -> None:
    for i in range(3):
        notify(
            person=w.alice_person,
            kind="request",
            template="reminder_request",
            context={"sender": "Bob", "program": "Peers", "days": 5},
            dedupe_key=f"q{i}",
        )


def later(minutes: int) -> time_machine.travel:
    return time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=False)


@pytest.mark.parametrize(
    "reply",
    [
        "554 5.7.1 Sender address rejected: access denied",
        "530 5.7.0 Authentication required",
        "421 4.3.2 Service shutting down",
        "451 4.3.0 Try again later",
    ],
)
def test_a_relay_refusing_us_at_mail_from_never_fails_the_queue(
    world: World, smtp: SmtpSink, reply: str
) -> None:
    """A 5xx at MAIL FROM used to fail every message for good within seconds; it is the relay's
    state, not the messages', so all of them wait and go once the relay accepts again."""
    queue_three(world)
    smtp.handler.mail_reply = reply
    assert drain() == {"retry": 3}
    assert not OutboxMessage.objects.filter(failed_permanently=True).exists()
    assert reply.split()[0] in row("q0").last_error
    smtp.handler.mail_reply = None
    with later(5):
        assert drain() == {"sent": 3}
    assert smtp.count == 3


@pytest.mark.parametrize(
    ("refusal", "outcome"),
    [
        ("550 5.1.1 No such user", {"failed": 1}),
        ("551 5.1.6 User has moved", {"failed": 1}),
        ("553 5.1.3 Bad address syntax", {"failed": 1}),
        ("450 4.2.1 Mailbox busy", {"retry": 1}),
        ("452 4.2.2 Mailbox full", {"retry": 1}),
        ("552 5.2.2 Mailbox full", {"retry": 1}),
        ("554 5.7.1 Relay access denied", {"retry": 1}),
        ("550 5.7.1 Relaying denied", {"retry": 1}),
    ],
)
def test_only_a_refusal_of_the_recipient_is_permanent(
    world: World, smtp: SmtpSink, refusal: str, outcome: dict[str, int]
) -> None:
    smtp.handler.refuse["alice@acme.example"] = refusal
    notify(
        person=world.alice_person,
        kind="request",
        template="reminder_request",
        context={"sender": "Bob", "program": "Peers", "days": 5},
        dedupe_key="r1",
    )
    assert drain() == outcome
    assert refusal.split()[0] in row("r1").last_error


def test_wrong_smtp_credentials_are_retried_not_fatal(world: World) -> None:
    """535 at AUTH is the operator's mistake, fixed by a redeploy: the queue waits for it."""
    with (
        SmtpSink(password="right") as sink,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=sink.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="twoway",
            EMAIL_HOST_PASSWORD="wrong",
        ),
    ):
        queue_three(world)
        assert drain() == {"retry": 3}
        assert "535" in row("q0").last_error
        assert not OutboxMessage.objects.filter(failed_permanently=True).exists()
        with override_settings(EMAIL_HOST_PASSWORD="right"), later(5):
            assert drain() == {"sent": 3}
        assert sink.count == 3


def test_a_stalled_relay_gives_up_within_email_timeout(world: World) -> None:
    """Without a timeout a relay that accepts and says nothing held the worker past its lease
    (another worker then sent the message a second time)."""
    assert settings.EMAIL_TIMEOUT and settings.EMAIL_TIMEOUT * 2 < settings.OUTBOX_LEASE_SECONDS
    with (
        SilentServer() as silent,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=silent.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=1,
        ),
    ):
        notify(
            person=world.alice_person,
            kind="request",
            template="reminder_request",
            context={"sender": "Bob", "program": "Peers", "days": 5},
            dedupe_key="r1",
        )
        start = time.monotonic()
        assert drain() == {"retry": 1}
        assert time.monotonic() - start < 5
    assert "timed out" in row("r1").last_error


def test_the_default_email_timeout_is_below_the_lease() -> None:
    assert settings.EMAIL_TIMEOUT == 30
    assert settings.EMAIL_TIMEOUT * 2 < settings.OUTBOX_LEASE_SECONDS


def test_a_long_relay_outage_outlasts_the_attempt_limit(world: World, smtp: SmtpSink) -> None:
    """Attempts count what is wrong with a message; a relay that refuses us for a day says
    nothing about the messages, which wait for it instead of failing after MAX_ATTEMPTS."""
    queue_three(world)
    smtp.handler.mail_reply = "530 5.7.0 Authentication required"
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS + 2):
        with time_machine.travel(now, tick=False):
            assert drain() == {"retry": 3}
        now += BACKOFF_MAX + dt.timedelta(seconds=1)
    rows = list(OutboxMessage.objects.all())
    assert {r.status for r in rows} == {OutboxStatus.PENDING}
    assert min(r.attempts for r in rows) > MAX_ATTEMPTS
    smtp.handler.mail_reply = None
    with time_machine.travel(now, tick=False):
        assert drain() == {"sent": 3}
    assert smtp.count == 3


def test_a_message_the_relay_keeps_refusing_is_given_up(world: World, smtp: SmtpSink) -> None:
    """A 4xx for this recipient is about the message: after MAX_ATTEMPTS it shows as failed."""
    smtp.handler.refuse["alice@acme.example"] = "452 4.2.2 Mailbox full"
    notify(
        person=world.alice_person,
        kind="request",
        template="reminder_request",
        context={"sender": "Bob", "program": "Peers", "days": 5},
        dedupe_key="r1",
    )
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        with time_machine.travel(now, tick=False):
            drain()
        now += BACKOFF_MAX + dt.timedelta(seconds=1)
    message = row("r1")
    assert message.status == OutboxStatus.FAILED and "gave up" in message.last_error
