from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World, client_for
from tests.notifications.helpers import drain
from tests.notifications.servers import SmtpSink, free_port
from tests.partnerships.factories import pair, past_checkin
from twoway.meetings.services import private_note_save, shared_note_add
from twoway.notifications.models import OutboxMessage, OutboxStatus
from twoway.support.models import HelpRequest
from twoway.support.selectors import uncertain_partnerships

PRIVATE = "my private worry about burnout"
SHARED = "shared plan for the quarter"


def support_url(w: World) -> str:
    return reverse("partnership_support", kwargs={"org_slug": "acme", "partnership_id": pair(w).pk})


def test_an_hr_request_needs_consent(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.alice).post(
            support_url(world), {"message": "I could use some help"}
        )
    assert response.status_code == 400
    assert "I could use some help" in response.content.decode()
    assert not HelpRequest.objects.exists() and mail.outbox == []


def test_an_hr_request_carries_the_message_and_no_notes(
    world: World,
    django_capture_on_commit_callbacks: Any,
) -> None:
    checkin = past_checkin(world)
    private_note_save(checkin=checkin, by=world.alice_person, text=PRIVATE)
    shared_note_add(checkin=checkin, by=world.bob_person, body=SHARED)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.alice).post(
            support_url(world), {"message": "Things at home are hard", "consent": "on"}
        )
    assert response.status_code == 302
    assert drain() == {"sent": 1}
    [email] = mail.outbox
    assert email.to == ["hr@acme.example"]
    assert "Things at home are hard" in email.body and "Alice Archer" in email.body
    for secret in (PRIVATE, SHARED, "Bob Baker"):
        assert secret not in email.body and secret not in email.subject
    assert HelpRequest.objects.get().hr_email == "hr@acme.example"


def test_an_hr_request_waits_in_the_outbox_while_smtp_is_down(world: World, smtp: SmtpSink) -> None:
    """It used to be sent with send_mail after the commit: with the relay down, the person got a
    500 after their request was saved, and nothing was ever retried."""
    with override_settings(EMAIL_PORT=free_port()):  # nothing listens there
        response = client_for(world.alice).post(
            support_url(world), {"message": "Things at home are hard", "consent": "on"}
        )
        assert response.status_code == 302
        assert drain() == {"retry": 1}
    [row] = OutboxMessage.objects.filter(kind="hr_request")
    assert row.recipient is None and row.recipient_email == "hr@acme.example"
    assert row.status == OutboxStatus.PENDING and "refused" in row.last_error.lower()
    # What the person confided rests encrypted, not in the outbox's clear context.
    assert "Things at home are hard" not in str(row.context)
    assert smtp.messages == []
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=False):
        assert drain() == {"sent": 1}
    [email] = smtp.messages
    assert email["To"] == "hr@acme.example"
    assert "List-Unsubscribe" not in email  # HR is not subscribed to anything
    body = email.get_body(("plain",))
    assert body is not None and "Things at home are hard" in body.get_content()


def test_the_support_page_offers_professional_help(world: World) -> None:
    world.acme.professional_help_url = "https://eap.example/acme"
    world.acme.save()
    page = client_for(world.bob).get(support_url(world)).content.decode()
    assert "https://eap.example/acme" in page


def test_the_uncertain_flag_is_for_the_program_manager_only(world: World) -> None:
    url = reverse("uncertain_flag", kwargs={"org_slug": "acme", "partnership_id": pair(world).pk})
    client_for(world.alice).post(url, {"uncertain": "1"})
    flagged = list(uncertain_partnerships(pair(world).program))
    assert [p.pk for p in flagged] == [pair(world).pk] and flagged[0].uncertain_count == 1  # type: ignore[attr-defined]
    home = reverse(
        "partnership_home", kwargs={"org_slug": "acme", "partnership_id": pair(world).pk}
    )
    assert "uncertain" not in client_for(world.bob).get(home).content.decode().lower()
    client_for(world.alice).post(url, {"uncertain": "0"})
    assert not uncertain_partnerships(pair(world).program).exists()


def test_org_admins_do_not_see_that_someone_asked_hr(world: World) -> None:
    """The outbox page shows admins what goes to people; an HR request goes to an address and
    says by its mere existence that someone asked for help."""
    client_for(world.alice).post(
        support_url(world), {"message": "Things at home are hard", "consent": "on"}
    )
    [row] = OutboxMessage.objects.filter(kind="hr_request")
    carol = client_for(world.carol)
    page = carol.get(reverse("notification_outbox", kwargs={"org_slug": "acme"}))
    assert page.status_code == 200
    assert "hr@acme.example" not in page.content.decode()
    assert "hr_request" not in page.content.decode()
    retry = reverse("notification_outbox_retry", kwargs={"org_slug": "acme", "message_id": row.pk})
    assert carol.post(retry).status_code == 404


def test_a_line_break_in_a_name_does_not_break_the_hr_request(world: World, smtp: SmtpSink) -> None:
    """A subject is one header line: it used to raise BadHeaderError (a 500 after the request
    was saved). The outbox renders subjects on one line."""
    partnership = pair(world)
    partnership.program.name = "Peers\nBcc: everyone@acme.example"
    partnership.program.save()
    response = client_for(world.alice).post(
        support_url(world), {"message": "Things at home are hard", "consent": "on"}
    )
    assert response.status_code == 302
    assert drain() == {"sent": 1}
    [email] = smtp.messages
    assert email["Subject"] == (
        "Confidential: Alice Archer asks for support (Peers Bcc: everyone@acme.example)"
    )
    assert email["Bcc"] is None and email["To"] == "hr@acme.example"
