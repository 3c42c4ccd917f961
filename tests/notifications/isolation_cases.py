from __future__ import annotations

from django.urls import reverse

from tests.conftest import World
from tests.isolation import ANY_MEMBER, ORG_ADMIN, PUBLIC, Case, org_url
from twoway.notifications.models import OutboxMessage, OutboxStatus


def failed_message(w: World) -> int:
    return OutboxMessage.objects.create(
        organization=w.acme,
        recipient=w.alice_person,
        kind="request",
        template="reminder_request",
        dedupe_key=f"iso:{w.alice_person.pk}:{OutboxMessage.objects.count()}",
        status=OutboxStatus.FAILED,
        failed_permanently=True,
        last_error="550 no such user",
    ).pk


def unsubscribe_url(w: World) -> str:
    from twoway.notifications.services import unsubscribe_token

    token = unsubscribe_token(person=w.alice_person, kind="checkin_reminder")
    return reverse("notifications_unsubscribe", kwargs={"token": token})


CASES: dict[str, Case] = {
    "notification_preferences": Case(org_url("notification_preferences"), ANY_MEMBER),
    "notification_outbox": Case(org_url("notification_outbox"), ORG_ADMIN),
    "notification_outbox_retry": Case(
        org_url("notification_outbox_retry", message_id=failed_message), ORG_ADMIN, method="post"
    ),
    "notifications_unsubscribe": Case(unsubscribe_url, PUBLIC),
}
