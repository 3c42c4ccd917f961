"""What comes back from Slack: button answers and the `/twoway` slash command.

A button does what the same click on the web page does, through the same service (a check-in
logged as held from Slack is logged by `checkin_log`, with its rules: not before it started, not
once cancelled). Payloads are read defensively: Slack signed them, but a field of the wrong
shape is a 400, never a 500.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from django.core.exceptions import ValidationError
from slack_sdk.errors import SlackClientError
from slack_sdk.webhook import WebhookClient

from twoway.integrations.slack.models import SlackIdentity
from twoway.integrations.slack.transport import (
    ACTION_MET,
    ACTION_NOT_YET,
    ACTION_RESCHEDULE,
    escape,
)
from twoway.meetings.models import CheckinStatus
from twoway.meetings.selectors import checkin_for_member, upcoming_checkins
from twoway.meetings.services import checkin_log
from twoway.notifications.selectors import local_when
from twoway.people.models import Person
from twoway.programs.selectors import open_partnerships_of, partners_of

log = logging.getLogger(__name__)


class MalformedPayload(ValueError):
    pass


@dataclass(frozen=True)
class Action:
    action_id: str
    checkin_id: int | None


@dataclass(frozen=True)
class Interaction:
    type: str
    team_id: str
    user_id: str
    actions: list[Action]
    response_url: str


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise MalformedPayload(f"{what} is not text")
    return value


def _id(container: object, what: str) -> str:
    if not isinstance(container, dict):
        raise MalformedPayload(f"{what} is not an object")
    return _text(container.get("id"), f"{what}.id")


def _checkin_id(value: object) -> int | None:
    """Our buttons carry {"checkin": <id>}; anything else is not ours to act on."""
    if value is None:
        return None
    try:
        data = json.loads(_text(value, "action value"))
    except (ValueError, RecursionError):
        return None
    checkin = data.get("checkin") if isinstance(data, dict) else None
    return checkin if isinstance(checkin, int) and not isinstance(checkin, bool) else None


def parse_interaction(body: bytes) -> Interaction:
    """The `payload` form field of an interactivity request, checked field by field."""
    try:
        form = parse_qs(body.decode("utf-8"), max_num_fields=20)
        payload = json.loads(form["payload"][0])
    except (UnicodeDecodeError, KeyError, IndexError, ValueError, RecursionError):
        raise MalformedPayload("no JSON payload") from None
    if not isinstance(payload, dict):
        raise MalformedPayload("the payload is not an object")
    kind = _text(payload.get("type"), "type")
    if kind != "block_actions":
        return Interaction(type=kind, team_id="", user_id="", actions=[], response_url="")
    raw_actions = payload.get("actions")
    if not isinstance(raw_actions, list):
        raise MalformedPayload("actions is not a list")
    actions = []
    for raw in raw_actions:
        if not isinstance(raw, dict):
            raise MalformedPayload("an action is not an object")
        actions.append(
            Action(
                action_id=_text(raw.get("action_id"), "action_id"),
                checkin_id=_checkin_id(raw.get("value")),
            )
        )
    response_url = payload.get("response_url", "")
    return Interaction(
        type=kind,
        team_id=_id(payload.get("team"), "team"),
        user_id=_id(payload.get("user"), "user"),
        actions=actions,
        response_url=response_url if isinstance(response_url, str) else "",
    )


def person_for_slack_user(*, team_id: str, user_id: str) -> Person | None:
    identity = (
        SlackIdentity.objects.filter(workspace__team_id=team_id, slack_user_id=user_id)
        .select_related("person__organization")
        .first()
    )
    if identity is None or not identity.person.is_active:
        return None
    return identity.person


@dataclass(frozen=True)
class Answer:
    text: str
    # The question is settled: the answer replaces the buttons. Otherwise they stay, to press
    # later ("Not yet", a refusal).
    settled: bool = False


def checkin_answer(*, person: Person, action: Action) -> Answer | None:
    """Apply one button to a check-in of the person's own partnerships; what to answer, or None
    when there is nothing to say (Reschedule opens the check-in's page by itself)."""
    if action.action_id == ACTION_RESCHEDULE:
        return None
    if action.action_id not in (ACTION_MET, ACTION_NOT_YET):
        return Answer("I didn't understand that button.")
    checkin = (
        checkin_for_member(person=person, checkin_id=action.checkin_id)
        if action.checkin_id is not None
        else None
    )
    if checkin is None:
        return Answer("I couldn't find that check-in.")
    if action.action_id == ACTION_NOT_YET:
        return Answer("No problem — I'll leave it open. Log it in Twoway when you've met.")
    if checkin.status == CheckinStatus.HELD:
        return Answer("That check-in is already logged.", settled=True)
    try:
        checkin_log(checkin=checkin, by=person, status=CheckinStatus.HELD)
    except ValidationError as exc:
        return Answer(" ".join(exc.messages))
    return Answer("Great, logged as held. Well done for keeping it regular!", settled=True)


def reply(response_url: str, text: str, *, replace: bool) -> None:
    """Answer through Slack's response_url. Best effort: the answer is recorded already, a failed
    update only leaves the old buttons on screen."""
    if not response_url.startswith(("https://", "http://")):
        return
    try:
        # A settled answer takes the buttons' place; any other is shown to the presser only,
        # below the buttons they may still press.
        WebhookClient(response_url, timeout=5).send(
            text=text, replace_original=replace, response_type=None if replace else "ephemeral"
        )
    except (SlackClientError, OSError) as exc:
        log.info("slack response_url failed: %s", exc)


def status_text(person: Person) -> str:
    """For `/twoway`: my partners and my next check-in, in my own time zone."""
    partnerships = list(open_partnerships_of(person))
    partners = sorted({escape(p.name) for ship in partnerships for p in partners_of(ship, person)})
    if not partners:
        return "You have no active partnership right now."
    lines = [f"Your partner{'s' if len(partners) > 1 else ''}: {', '.join(partners)}."]
    upcoming = sorted(
        (c for ship in partnerships for c in upcoming_checkins(ship, limit=1)),
        key=lambda c: c.scheduled_start,
    )
    if not upcoming:
        lines.append("No check-in is planned yet: pick a time in Twoway.")
    else:
        when = local_when(upcoming[0].scheduled_start, person.time_zone)
        lines.append(f"Next check-in: {when}.")
    return "\n".join(lines)
