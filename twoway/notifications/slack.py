"""Slack: the transport, the buttons, and what comes back from Slack (signed requests).

An org admin connects a workspace with Slack's OAuth v2 flow (views.slack_install / the callback);
its bot token is stored encrypted (SlackWorkspace). People are linked to Slack users by email the
first time a message goes to them. Introductions go to a group DM of the pair; check-in reminders
and "did you meet?" carry three buttons whose answers come back to `interactive` (views) signed
with the app's signing secret.

We use slack-sdk's WebClient, SignatureVerifier and AuthorizeUrlGenerator directly rather than a
Bolt app: Django already routes, authenticates and stores; Bolt would add a second framework.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import SignatureVerifier

from twoway.notifications.models import (
    Channel,
    OutboxMessage,
    SlackIdentity,
    SlackWorkspace,
)
from twoway.notifications.services import group_ids
from twoway.notifications.transports import (
    TransportError,
    render_plain,
    render_subject,
    template_context,
)
from twoway.people.models import Person

log = logging.getLogger(__name__)

BOT_SCOPES = ["chat:write", "im:write", "mpim:write", "users:read", "users:read.email", "commands"]

# Kinds whose Slack message carries the "Yes, we met / Not yet / Reschedule" buttons.
CHECKIN_BUTTON_KINDS = {"checkin_reminder", "did_you_meet"}
ACTION_MET = "checkin_met"
ACTION_NOT_YET = "checkin_not_yet"
ACTION_RESCHEDULE = "checkin_reschedule"

# Slack errors that no retry will fix.
PERMANENT_ERRORS = {
    "users_not_found",
    "user_not_found",
    "user_disabled",
    "account_inactive",
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "channel_not_found",
    "is_archived",
    "missing_scope",
    "cannot_dm_bot",
    "user_is_bot",
    "not_allowed_token_type",
}


def client_for(workspace: SlackWorkspace | None = None, token: str | None = None) -> WebClient:
    if token is None and workspace is not None:
        token = workspace.bot_token
    return WebClient(token=token, base_url=settings.SLACK_API_URL, timeout=10)


def verifier() -> SignatureVerifier:
    return SignatureVerifier(settings.SLACK_SIGNING_SECRET)


def _error(exc: SlackApiError) -> TransportError:
    code = str(exc.response.get("error", "")) if exc.response is not None else ""
    return TransportError(f"Slack: {code or exc}", permanent=code in PERMANENT_ERRORS)


def slack_user_id(client: WebClient, workspace: SlackWorkspace, person: Person) -> str:
    """The person's Slack user id, looked up by email once and then remembered."""
    identity = SlackIdentity.objects.filter(person=person, workspace=workspace).first()
    if identity is not None:
        return identity.slack_user_id
    if not person.email:
        raise TransportError("no email address to find the Slack user by", permanent=True)
    try:
        found = client.users_lookupByEmail(email=person.email)
    except SlackApiError as exc:
        raise _error(exc) from exc
    user_id = str(found["user"]["id"])
    # IntegrityError: another person already holds this Slack user (a shared mailbox?); still send.
    with contextlib.suppress(IntegrityError), transaction.atomic():
        SlackIdentity.objects.update_or_create(
            person=person, defaults={"workspace": workspace, "slack_user_id": user_id}
        )
    return user_id


def _mrkdwn(message: OutboxMessage, context: dict[str, Any]) -> str:
    """Slack text: templates/slack/<template>.txt when it exists, else the email's subject in
    bold and its text body (links in <url|text> form are left to Slack's auto-linking)."""
    try:
        return render_plain(f"slack/{message.template}.txt", context).strip()
    except TemplateDoesNotExist:
        subject = render_subject(message, context)
        body = render_plain(f"emails/{message.template}-body.txt", context).strip()
        body = re.sub(r"\n{3,}", "\n\n", body)
        return f"*{subject}*\n{body}"


def checkin_buttons(checkin_id: int) -> dict[str, Any]:
    value = json.dumps({"checkin": checkin_id})
    return {
        "type": "actions",
        "block_id": f"checkin:{checkin_id}",
        "elements": [
            {
                "type": "button",
                "action_id": ACTION_MET,
                "text": {"type": "plain_text", "text": "Yes, we met"},
                "style": "primary",
                "value": value,
            },
            {
                "type": "button",
                "action_id": ACTION_NOT_YET,
                "text": {"type": "plain_text", "text": "Not yet"},
                "value": value,
            },
            {
                "type": "button",
                "action_id": ACTION_RESCHEDULE,
                "text": {"type": "plain_text", "text": "Reschedule"},
                "value": value,
            },
        ],
    }


def message_blocks(message: OutboxMessage, text: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}
    ]
    checkin_id = message.context.get("checkin_id")
    if message.kind in CHECKIN_BUTTON_KINDS and isinstance(checkin_id, int):
        blocks.append(checkin_buttons(checkin_id))
    return blocks


class SlackTransport:
    channel: str = Channel.SLACK.value

    def close(self) -> None:
        pass

    def send(self, message: OutboxMessage, *, delivery_id: str) -> None:
        workspace = SlackWorkspace.objects.filter(organization_id=message.organization_id).first()
        if workspace is None:
            raise TransportError("Slack is not connected for this organization", permanent=True)
        client = client_for(workspace)
        try:
            users = [slack_user_id(client, workspace, message.recipient)]
            group = group_ids(message)
            for person in Person.objects.filter(
                pk__in=[pk for pk in group if pk != message.recipient_id],
                organization_id=message.organization_id,
            ).order_by("pk"):
                try:
                    users.append(slack_user_id(client, workspace, person))
                except TransportError as exc:
                    # The partner is not on Slack: the recipient still gets the message.
                    log.info("slack: %s not found for group DM: %s", person.pk, exc)
            conversation = client.conversations_open(users=",".join(users))
            context = template_context(message)
            text = _mrkdwn(message, context)
            client.chat_postMessage(
                channel=conversation["channel"]["id"],
                text=text,
                blocks=message_blocks(message, text),
                metadata={
                    "event_type": "twoway_message",
                    "event_payload": {"delivery": delivery_id, "kind": message.kind},
                },
            )
        except SlackApiError as exc:
            raise _error(exc) from exc
        except (SlackClientError, OSError) as exc:
            raise TransportError(f"Slack: {exc}") from exc


# --- answers from Slack ----------------------------------------------------------------------


def answer_checkin(*, person: Person, checkin_id: int, action: str) -> str:
    """Apply a button answer to a check-in of one of the person's own partnerships."""
    from django.utils import timezone

    from twoway.meetings.models import CheckIn, CheckinStatus

    checkin = (
        CheckIn.objects.filter(pk=checkin_id, partnership__members__person=person)
        .select_related("partnership__organization")
        .first()
    )
    if checkin is None:
        return "I couldn't find that check-in."
    if action == ACTION_MET:
        with transaction.atomic():
            logged = CheckIn.objects.filter(
                pk=checkin.pk, status__in=[CheckinStatus.SCHEDULED, CheckinStatus.MISSED]
            ).update(status=CheckinStatus.HELD, logged_by=person, logged_at=timezone.now())
        return (
            "Great, logged as held. Well done for keeping it regular!"
            if logged
            else ("That check-in is already logged.")
        )
    if action == ACTION_NOT_YET:
        return "No problem — I'll leave it open. Log it in Twoway when you've met."
    if action == ACTION_RESCHEDULE:
        url = f"{settings.BASE_URL}/o/{checkin.partnership.organization.slug}/"
        return f"Pick a new time here: {url}"
    return "I didn't understand that button."


def reply(response_url: object, text: str) -> None:
    """Replace the buttons with the answer (Slack's response_url). Best effort: the answer is
    recorded already, a failed update only leaves the old buttons on screen."""
    if not isinstance(response_url, str) or not response_url.startswith(("https://", "http://")):
        return
    from slack_sdk.webhook import WebhookClient

    try:
        WebhookClient(response_url, timeout=5).send(text=text, replace_original=True)
    except (SlackClientError, OSError) as exc:
        log.info("slack response_url failed: %s", exc)


def status_text(person: Person) -> str:
    """For `/twoway`: my next check-in and my partners."""
    from django.utils import timezone

    from twoway.meetings.models import CheckIn, CheckinStatus
    from twoway.notifications.selectors import local_when
    from twoway.programs.models import PartnershipMember, PartnershipStatus

    partners = sorted(
        {
            m.person.name
            for m in PartnershipMember.objects.filter(
                partnership__members__person=person,
                partnership__status=PartnershipStatus.ACTIVE,
            )
            .exclude(person=person)
            .select_related("person")
        }
    )
    if not partners:
        return "You have no active partnership right now."
    lines = [f"Your partner{'s' if len(partners) > 1 else ''}: {', '.join(partners)}."]
    upcoming = (
        CheckIn.objects.filter(
            partnership__members__person=person,
            partnership__status=PartnershipStatus.ACTIVE,
            status=CheckinStatus.SCHEDULED,
            scheduled_start__gt=timezone.now(),
        )
        .order_by("scheduled_start")
        .first()
    )
    if upcoming is None:
        lines.append("No check-in is planned yet: pick a time in Twoway.")
    else:
        lines.append(f"Next check-in: {local_when(upcoming.scheduled_start, person.time_zone)}.")
    return "\n".join(lines)
