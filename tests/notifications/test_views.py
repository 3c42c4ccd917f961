from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from tests.conftest import World, client_for
from twoway.accounts.models import AuditEvent
from twoway.notifications.kinds import for_people
from twoway.notifications.models import (
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
    OutboxStatus,
)
from twoway.notifications.services import unsubscribe_token


def test_it_saves_my_preferences(world: World) -> None:
    url = reverse("notification_preferences", kwargs={"org_slug": "acme"})
    client = client_for(world.alice)
    page = client.get(url)
    assert page.status_code == 200 and "Quiet hours (Europe/Berlin)" in page.content.decode()
    data: dict[str, str | list[str]] = {f"kind_{k.key}": "email" for k in for_people()}
    data.update(
        kind_nudge="off",
        quiet_start="22:00",
        quiet_end="07:00",
        paused_until="2026-05-10",
        weekly_digest="on",
        reminder_offsets=["60", "1440"],
    )
    response = client.post(url, data)
    assert response.status_code == 302
    row = NotificationSettings.objects.get(person=world.alice_person)
    assert row.quiet_start == dt.time(22) and row.weekly_digest
    assert row.reminder_offsets == [1440, 60]
    # The pause lasts to the end of the chosen day in Berlin (CEST, UTC+2).
    assert row.paused_until == dt.datetime(2026, 5, 10, 22, 0, tzinfo=dt.UTC)
    assert (
        NotificationPreference.objects.get(person=world.alice_person, kind="nudge").channel == "off"
    )
    # Slack is not offered while the organization has not connected it.
    assert client.post(url, {**data, "kind_nudge": "slack"}).status_code == 400


def test_it_refuses_half_quiet_hours(world: World) -> None:
    url = reverse("notification_preferences", kwargs={"org_slug": "acme"})
    data = {f"kind_{k.key}": "email" for k in for_people()}
    response = client_for(world.alice).post(url, {**data, "quiet_start": "22:00"})
    assert response.status_code == 400
    assert not NotificationSettings.objects.filter(person=world.alice_person).exists()


def test_admins_see_failures_and_retry_them(world: World) -> None:
    failed = OutboxMessage.objects.create(
        organization=world.acme,
        recipient=world.alice_person,
        kind="request",
        template="reminder_request",
        dedupe_key="f1",
        status=OutboxStatus.FAILED,
        failed_permanently=True,
        attempts=3,
        last_error="550 5.1.1 no such user",
    )
    OutboxMessage.objects.create(
        organization=world.globex,
        recipient=world.dave_person,
        kind="request",
        template="reminder_request",
        dedupe_key="g1",
        status=OutboxStatus.FAILED,
        last_error="globex error",
    )
    carol = client_for(world.carol)
    page = carol.get(
        reverse("notification_outbox", kwargs={"org_slug": "acme"}), {"status": "failed"}
    )
    body = page.content.decode()
    assert "550 5.1.1 no such user" in body and "globex error" not in body
    retry = reverse(
        "notification_outbox_retry", kwargs={"org_slug": "acme", "message_id": failed.pk}
    )
    assert carol.get(retry).status_code == 405
    assert carol.post(retry).status_code == 302
    failed.refresh_from_db()
    assert failed.status == OutboxStatus.PENDING and not failed.failed_permanently
    assert failed.attempts == 0
    assert AuditEvent.objects.filter(action="outbox.retry", actor=world.carol).exists()
    other = OutboxMessage.objects.get(dedupe_key="g1")
    url = reverse("notification_outbox_retry", kwargs={"org_slug": "acme", "message_id": other.pk})
    assert carol.post(url).status_code == 404


def test_unsubscribe_needs_a_post_and_a_valid_token(world: World) -> None:
    token = unsubscribe_token(person=world.alice_person, kind="digest")
    url = reverse("notifications_unsubscribe", kwargs={"token": token})
    page = Client().get(url)
    assert page.status_code == 200 and "weekly digest" in page.content.decode()
    assert not NotificationPreference.objects.exists()  # a link scanner changes nothing
    assert Client(enforce_csrf_checks=True).post(url).status_code == 200
    assert (
        NotificationPreference.objects.get(person=world.alice_person, kind="digest").channel
        == "off"
    )
    forged = reverse("notifications_unsubscribe", kwargs={"token": token[:-3] + "abc"})
    assert Client().post(forged).status_code == 400


def test_the_django_admin_lists_the_outbox(world: World) -> None:
    from twoway.accounts.models import User

    admin = User.objects.create_superuser("ops@example.com", "pw")
    OutboxMessage.objects.create(
        organization=world.acme,
        recipient=world.alice_person,
        kind="request",
        template="reminder_request",
        dedupe_key="a1",
        status=OutboxStatus.FAILED,
        last_error="boom",
    )
    client = client_for(admin)
    page = client.get("/admin/notifications/outboxmessage/?status__exact=failed")
    assert page.status_code == 200 and "boom" in page.content.decode()
    message = OutboxMessage.objects.get()
    client.post(
        "/admin/notifications/outboxmessage/",
        {"action": "retry", "_selected_action": [message.pk]},
    )
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
