"""The Slack transport: one outbox row becomes one Slack message.

People are linked to Slack users by email the first time a message goes to them. A message for a
group (the introduction of a new pair) goes once to the group DM of all its members, addressed to
all of them. Everything a person wrote (a request's note, a name) is escaped for Slack, so it
arrives as the text it is — never as a disguised link or an @here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.template.loader_tags import BlockNode, ExtendsNode
from django.urls import NoReverseMatch, reverse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from twoway.integrations.slack.models import SlackIdentity, SlackWorkspace
from twoway.notifications.models import Channel, OutboxMessage
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


def escape(text: str) -> str:
    """Slack's own escaping (its docs: replace exactly these three): `<…>` is how Slack writes
    links and mentions, so text that may hold them must not reach Slack raw."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def client_for(workspace: SlackWorkspace | None = None, token: str | None = None) -> WebClient:
    if token is None and workspace is not None:
        token = workspace.bot_token
    return WebClient(token=token, base_url=settings.SLACK_API_URL, timeout=10)


# Slack itself is busy or down: nothing is wrong with the message (see TransportError.relay).
SLACK_UNAVAILABLE = {"ratelimited", "service_unavailable", "internal_error", "fatal_error"}


def _error(exc: SlackApiError) -> TransportError:
    code = str(exc.response.get("error", "")) if exc.response is not None else ""
    return TransportError(
        f"Slack: {code or exc}",
        permanent=code in PERMANENT_ERRORS,
        relay=code in SLACK_UNAVAILABLE,
    )


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


# --- the text ---------------------------------------------------------------------------------


def _email_content(name: str, context: dict[str, Any]) -> str:
    """The message itself from an email's text body: only its `content` block when the body
    extends the email layout — the greeting to one person and the unsubscribe footer belong to
    an email, not to a Slack message."""
    template = get_template(name).template  # type: ignore[attr-defined]
    if not template.nodelist.get_nodes_by_type(ExtendsNode):
        return str(render_plain(name, context))
    blocks = {node.name: node for node in template.nodelist.get_nodes_by_type(BlockNode)}
    content = blocks.get("content")
    if content is None:
        return ""
    ctx = Context(context, autoescape=False)
    with ctx.bind_template(template):
        return str(content.nodelist.render(ctx))


def message_text(message: OutboxMessage, context: dict[str, Any]) -> str:
    """Slack mrkdwn: templates/slack/<template>.txt when there is one (in this package), else the
    email's subject in bold and the email's own words. Rendered text is escaped whole; the only
    markup is what is added here afterwards (bold, our own link)."""
    try:
        return escape(render_plain(f"slack/{message.template}.txt", context).strip())
    except TemplateDoesNotExist:
        pass
    subject = render_subject(message, context)
    body = _email_content(f"emails/{message.template}-body.txt", context).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    text = f"*{escape(subject)}*\n{escape(body)}"
    url = context.get("url")
    if isinstance(url, str) and url.startswith("/"):
        text += f"\n<{settings.BASE_URL}{escape(url)}|Open Twoway>"
    return text


def _checkin_page(message: OutboxMessage) -> str | None:
    checkin_id = message.context.get("checkin_id")
    partnership_id = message.context.get("partnership_id")
    if not (isinstance(checkin_id, int) and isinstance(partnership_id, int)):
        return None
    if message.organization is None:
        return None
    try:
        path = reverse(
            "checkin_detail",
            kwargs={
                "org_slug": message.organization.slug,
                "partnership_id": partnership_id,
                "checkin_id": checkin_id,
            },
        )
    except NoReverseMatch:
        return None
    return f"{settings.BASE_URL}{path}"


def checkin_buttons(checkin_id: int, *, page: str | None, answers: bool) -> dict[str, Any]:
    """ "Yes, we met" and "Not yet" only once the check-in has happened (`answers`); "Reschedule"
    opens the check-in's page in the partnership space, where it can be moved."""
    value = json.dumps({"checkin": checkin_id})
    elements: list[dict[str, Any]] = []
    if answers:
        elements += [
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
        ]
    if page:
        elements.append(
            {
                "type": "button",
                "action_id": ACTION_RESCHEDULE,
                "text": {"type": "plain_text", "text": "Reschedule"},
                "url": page,
                "value": value,
            }
        )
    return {"type": "actions", "block_id": f"checkin:{checkin_id}", "elements": elements}


def message_blocks(message: OutboxMessage, text: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}
    ]
    checkin_id = message.context.get("checkin_id")
    if isinstance(checkin_id, int) and message.kind in ("did_you_meet", "checkin_reminder"):
        # The reminder comes before the check-in: there is nothing to log yet.
        buttons = checkin_buttons(
            checkin_id, page=_checkin_page(message), answers=message.kind == "did_you_meet"
        )
        if buttons["elements"]:
            blocks.append(buttons)
    return blocks


class SlackTransport:
    channel: str = Channel.SLACK.value

    @staticmethod
    def reachable_organizations(organization_ids: set[int]) -> set[int]:
        """Organizations with a connected workspace; for the others Slack falls back to email."""
        return set(
            SlackWorkspace.objects.filter(organization_id__in=organization_ids).values_list(
                "organization_id", flat=True
            )
        )

    def close(self) -> None:
        pass

    def send(self, message: OutboxMessage, *, delivery_id: str) -> None:
        org_id = message.organization_id
        if message.recipient is None or org_id is None:
            raise TransportError("Slack needs a person, not an address", permanent=True)
        workspace = SlackWorkspace.objects.filter(organization_id=org_id).first()
        if workspace is None:
            raise TransportError("Slack is not connected for this organization", permanent=True)
        client = client_for(workspace)
        members = [message.recipient]
        group = [pk for pk in group_ids(message) if pk != message.recipient_id]
        if group:
            members += list(Person.objects.filter(pk__in=group, organization_id=org_id))
        members.sort(key=lambda p: (p.name, p.pk))
        try:
            users = [slack_user_id(client, workspace, message.recipient)]
            for person in members:
                if person.pk == message.recipient_id:
                    continue
                try:
                    users.append(slack_user_id(client, workspace, person))
                except TransportError as exc:
                    # The partner is not on Slack: the recipient still gets the message.
                    log.info("slack: %s not found for group DM: %s", person.pk, exc)
            conversation = client.conversations_open(users=",".join(users))
            context = {**template_context(message), "members": members}
            text = message_text(message, context)
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
            raise TransportError(f"Slack: {exc}", relay=True) from exc
