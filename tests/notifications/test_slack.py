"""Slack against a fake Web API on loopback: group DM intros, buttons, signed callbacks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World, client_for
from tests.notifications.helpers import drain, row
from tests.notifications.servers import FakeSlack
from twoway.accounts.models import AuditEvent
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.notifications.models import OutboxStatus, SlackIdentity, SlackWorkspace
from twoway.notifications.services import notify, preference_set
from twoway.programs.models import Partnership, PartnershipMember, Program
from twoway.programs.services import partnership_introduce

SECRET = "signing-secret"


def connect(w: World) -> SlackWorkspace:
    workspace = SlackWorkspace(organization=w.acme, team_id="T0ACME", team_name="Acme Slack")
    workspace.set_bot_token("xoxb-fake-token")
    workspace.save()
    return workspace


def pair(w: World) -> Partnership:
    program = Program.objects.create(organization=w.acme, name="Peers")
    p = Partnership.objects.create(
        organization=w.acme, program=program, source="hand", started_on=dt.date(2026, 5, 1)
    )
    for person in (w.alice_person, w.bob_person):
        PartnershipMember.objects.create(partnership=p, person=person)
    return p


def signed(body: bytes, secret: str = SECRET, ts: int | None = None) -> dict[str, str]:
    stamp = str(ts if ts is not None else int(time.time()))
    base = f"v0:{stamp}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": signature}


def test_it_introduces_a_new_pair_once_in_a_group_dm(world: World, slack_api: FakeSlack) -> None:
    slack_api.users.update({"alice@acme.example": "UALICE", "bob@acme.example": "UBOB"})
    connect(world)
    p = pair(world)
    for person in (world.alice_person, world.bob_person):
        preference_set(person=person, kind="introduction", channel="slack")
    # The programs service names the group in the message: the outbox knows no partnerships.
    partnership_introduce(p, [world.alice_person, world.bob_person], ["You both like SQL"])
    assert drain() == {"sent": 1, "skipped": 1}
    [opened] = slack_api.calls_to("conversations.open")
    assert sorted(opened["users"].split(",")) == ["UALICE", "UBOB"]
    [posted] = slack_api.calls_to("chat.postMessage")
    assert posted["channel"] == "GUALICEUBOB"
    assert "You both like SQL" in posted["text"]
    bob_row = row(f"intro:{p.pk}:{world.bob_person.pk}")
    assert bob_row.status == OutboxStatus.SKIPPED and "group DM" in bob_row.skip_reason
    assert SlackIdentity.objects.filter(slack_user_id="UBOB").exists()


def test_it_sends_did_you_meet_with_three_buttons(world: World, slack_api: FakeSlack) -> None:
    slack_api.users["alice@acme.example"] = "UALICE"
    connect(world)
    preference_set(person=world.alice_person, kind="did_you_meet", channel="slack")
    notify(
        person=world.alice_person,
        kind="did_you_meet",
        template="reminder_did_you_meet",
        context={"checkin_id": 42, "partners": ["Bob Baker"], "when": "Monday", "url": "/o/acme/"},
        dedupe_key="dym",
    )
    assert drain() == {"sent": 1}
    [posted] = slack_api.calls_to("chat.postMessage")
    assert posted["channel"] == "DUALICE"
    section, actions = posted["blocks"]
    assert "Did you meet Bob Baker?" in section["text"]["text"]
    buttons = actions["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Yes, we met", "Not yet", "Reschedule"]
    assert [b["action_id"] for b in buttons] == [
        "checkin_met",
        "checkin_not_yet",
        "checkin_reschedule",
    ]
    assert all(json.loads(b["value"]) == {"checkin": 42} for b in buttons)


def test_it_fails_permanently_when_the_slack_user_is_gone(
    world: World, slack_api: FakeSlack
) -> None:
    connect(world)
    preference_set(person=world.alice_person, kind="nudge", channel="slack")
    notify(
        person=world.alice_person,
        kind="nudge",
        template="reminder_request",
        context={"sender": "Bob", "program": "Peers", "days": 5},
        dedupe_key="n1",
    )
    assert drain() == {"failed": 1}
    assert row("n1").failed_permanently and "users_not_found" in row("n1").last_error


def test_it_retries_when_slack_is_rate_limiting(world: World, slack_api: FakeSlack) -> None:
    slack_api.users["alice@acme.example"] = "UALICE"
    slack_api.fail["chat.postMessage"] = "ratelimited"
    connect(world)
    preference_set(person=world.alice_person, kind="nudge", channel="slack")
    notify(
        person=world.alice_person,
        kind="nudge",
        template="reminder_request",
        context={"sender": "Bob", "program": "Peers", "days": 5},
        dedupe_key="n1",
    )
    assert drain() == {"retry": 1}


def test_it_falls_back_to_email_without_a_workspace(world: World) -> None:
    from django.core import mail

    preference_set(person=world.alice_person, kind="nudge", channel="slack")
    notify(
        person=world.alice_person,
        kind="nudge",
        template="reminder_request",
        context={"sender": "Bob", "program": "Peers", "days": 5},
        dedupe_key="n1",
    )
    assert drain() == {"sent": 1}
    assert len(mail.outbox) == 1 and row("n1").channel == "email"


def _checkin(w: World) -> CheckIn:
    return CheckIn.objects.create(
        partnership=pair(w), scheduled_start=timezone.now() - dt.timedelta(hours=2)
    )


def _action_body(checkin: CheckIn, action: str, user: str = "UALICE") -> bytes:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0ACME"},
        "user": {"id": user},
        "response_url": "",
        "actions": [{"action_id": action, "value": json.dumps({"checkin": checkin.pk})}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _interactive(body: bytes, headers: dict[str, str]) -> int:
    return (
        Client()
        .post(
            reverse("slack_interactive"),
            body,
            content_type="application/x-www-form-urlencoded",
            **headers,  # type: ignore[arg-type]
        )
        .status_code
    )


def test_it_logs_the_checkin_from_a_signed_yes_we_met(world: World, slack_api: FakeSlack) -> None:
    workspace = connect(world)
    SlackIdentity.objects.create(
        person=world.alice_person, workspace=workspace, slack_user_id="UALICE"
    )
    checkin = _checkin(world)
    body = _action_body(checkin, "checkin_met")
    assert _interactive(body, signed(body)) == 200
    checkin.refresh_from_db()
    assert checkin.status == CheckinStatus.HELD and checkin.logged_by == world.alice_person


@pytest.mark.parametrize(
    "headers",
    [
        lambda body: signed(body, secret="wrong-secret"),
        lambda body: signed(body, ts=int(time.time()) - 3600),  # a replayed old request
        lambda body: {},
    ],
)
def test_it_refuses_a_badly_signed_callback(
    world: World, slack_api: FakeSlack, headers: Callable[[bytes], dict[str, str]]
) -> None:
    workspace = connect(world)
    SlackIdentity.objects.create(
        person=world.alice_person, workspace=workspace, slack_user_id="UALICE"
    )
    checkin = _checkin(world)
    body = _action_body(checkin, "checkin_met")
    assert _interactive(body, headers(body)) == 403
    checkin.refresh_from_db()
    assert checkin.status == CheckinStatus.SCHEDULED


def test_it_ignores_buttons_on_someone_elses_checkin(world: World, slack_api: FakeSlack) -> None:
    workspace = connect(world)
    SlackIdentity.objects.create(
        person=world.carol_person, workspace=workspace, slack_user_id="UCAROL"
    )
    checkin = _checkin(world)
    body = _action_body(checkin, "checkin_met", user="UCAROL")
    assert _interactive(body, signed(body)) == 200
    checkin.refresh_from_db()
    assert checkin.status == CheckinStatus.SCHEDULED


def test_it_answers_the_slash_command_with_my_next_checkin(
    world: World, slack_api: FakeSlack
) -> None:
    workspace = connect(world)
    SlackIdentity.objects.create(
        person=world.alice_person, workspace=workspace, slack_user_id="UALICE"
    )
    p = pair(world)
    CheckIn.objects.create(
        partnership=p, scheduled_start=dt.datetime(2030, 5, 7, 8, 0, tzinfo=dt.UTC)
    )
    body = urlencode({"team_id": "T0ACME", "user_id": "UALICE", "command": "/twoway"}).encode()
    response = Client().post(
        reverse("slack_command"),
        body,
        content_type="application/x-www-form-urlencoded",
        **signed(body),  # type: ignore[arg-type]
    )
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "Bob Baker" in answer["text"]
    assert "Tuesday 7 May, 10:00 (Europe/Berlin)" in answer["text"]
    bad = Client().post(
        reverse("slack_command"), body, content_type="application/x-www-form-urlencoded"
    )
    assert bad.status_code == 403


def test_it_connects_a_workspace_through_oauth(world: World, slack_api: FakeSlack) -> None:
    carol = client_for(world.carol)
    response = carol.get(reverse("slack_install", kwargs={"org_slug": "acme"}))
    assert response.status_code == 302
    location = urlparse(response["Location"])
    query = parse_qs(location.query)
    assert query["client_id"] == ["111.222"]
    assert "chat:write" in query["scope"][0]
    state = query["state"][0]
    callback = carol.get(reverse("slack_oauth_callback"), {"code": "abc", "state": state})
    assert callback.status_code == 302
    workspace = SlackWorkspace.objects.get(organization=world.acme)
    assert workspace.team_id == "T0ACME"
    assert workspace.bot_token == "xoxb-fake-token"
    assert "xoxb" not in workspace.bot_token_encrypted  # stored encrypted
    assert slack_api.calls_to("oauth.v2.access")[0]["code"] == "abc"
    assert AuditEvent.objects.filter(action="slack.connect").exists()
    # The state is bound to the admin who started: someone else cannot finish it.
    assert (
        client_for(world.alice)
        .get(reverse("slack_oauth_callback"), {"code": "abc", "state": state})
        .status_code
        == 400
    )
