from __future__ import annotations

from django.urls import reverse

from tests.conftest import World
from tests.isolation import ANY_MEMBER, ORG_ADMIN, PUBLIC, SIGNED_IN, Case, org_url, plain
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


# Slack's callbacks answer 403 to anything not signed with the signing secret — everyone here.
UNSIGNED = {"alice": 403, "bob": 403, "carol": 403, "dave": 403}

CASES: dict[str, Case] = {
    "notification_preferences": Case(org_url("notification_preferences"), ANY_MEMBER),
    "notification_outbox": Case(org_url("notification_outbox"), ORG_ADMIN),
    "notification_outbox_retry": Case(
        org_url("notification_outbox_retry", message_id=failed_message), ORG_ADMIN, method="post"
    ),
    "slack_settings": Case(org_url("slack_settings"), ORG_ADMIN),
    # Without SLACK_CLIENT_ID the install link sends the admin back to the Slack settings page.
    "slack_install": Case(org_url("slack_install"), ORG_ADMIN, expect={"carol": 302}),
    "slack_disconnect": Case(org_url("slack_disconnect"), ORG_ADMIN, method="post"),
    "notifications_unsubscribe": Case(unsubscribe_url, PUBLIC),
    "slack_oauth_callback": Case(plain("slack_oauth_callback"), SIGNED_IN),
    "slack_interactive": Case(plain("slack_interactive"), PUBLIC, expect=UNSIGNED, method="post"),
    "slack_command": Case(plain("slack_command"), PUBLIC, expect=UNSIGNED, method="post"),
}
