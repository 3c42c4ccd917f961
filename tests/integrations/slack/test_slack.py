"""Slack against a fake Web API on loopback: group DM intros, buttons, signed callbacks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World, client_for
from tests.notifications.helpers import drain, row
from tests.notifications.servers import FakeSlack
from twoway.accounts.models import AuditEvent, Membership, Role
from twoway.integrations.slack.models import SlackIdentity, SlackWorkspace
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.notifications.models import OutboxMessage, OutboxStatus
from twoway.notifications.services import notify, preference_set
from twoway.programs.models import Partnership, PartnershipMember, Program
from twoway.programs.services import partnership_create, partnership_introduce

SECRET = "signing-secret"


def connect(w: World) -> SlackWorkspace:
    workspace = SlackWorkspace(organization=w.acme, team_id="T0ACME", team_name="Acme Slack")
    workspace.set_bot_token("xoxb-fake-token")
    workspace.save()
    return workspace


def link(w: World, workspace: SlackWorkspace) -> None:
    SlackIdentity.objects.create(person=w.alice_person, workspace=workspace, slack_user_id="UALICE")


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


# --- sending ----------------------------------------------------------------------------------


def test_it_introduces_a_new_pair_once_in_a_group_dm(world: World, slack_api: FakeSlack) -> None:
    slack_api.users.update({"alice@acme.example": "UALICE", "bob@acme.example": "UBOB"})
    connect(world)
    for person in (world.alice_person, world.bob_person):
        preference_set(person=person, kind="introduction", channel="slack")
    program = Program.objects.create(organization=world.acme, name="Peers")
    people = [world.alice_person, world.bob_person]
    p = partnership_create(program=program, people=people, source="hand")
    partnership_introduce(p, people, ["Alice Archer can help Bob Baker with SQL"])
    assert drain() == {"sent": 1, "skipped": 1}
    [opened] = slack_api.calls_to("conversations.open")
    assert sorted(opened["users"].split(",")) == ["UALICE", "UBOB"]
    [posted] = slack_api.calls_to("chat.postMessage")
    assert posted["channel"] == "GUALICEUBOB"
    text = posted["text"]
    # Addressed to both of them, in words both can read; no email greeting or footer.
    assert text.startswith("*Alice Archer and Bob Baker: meet your peer partner in Peers*")
    assert "Alice Archer can help Bob Baker with SQL" in text
    assert "You can help" not in text and "Hello" not in text
    assert "unsubscribe" not in text.lower() and "Stop " not in text
    assert f"/o/acme/partnerships/{p.pk}/" in text
    bob_row = row(f"intro:{p.pk}:{world.bob_person.pk}")
    assert bob_row.status == OutboxStatus.SKIPPED and "group DM" in bob_row.skip_reason
    assert SlackIdentity.objects.filter(slack_user_id="UBOB").exists()


def test_it_sends_did_you_meet_with_three_buttons(world: World, slack_api: FakeSlack) -> None:
    slack_api.users["alice@acme.example"] = "UALICE"
    connect(world)
    p = pair(world)
    preference_set(person=world.alice_person, kind="did_you_meet", channel="slack")
    notify(
        person=world.alice_person,
        kind="did_you_meet",
        template="reminder_did_you_meet",
        context={
            "checkin_id": 42,
            "partnership_id": p.pk,
            "partners": ["Bob Baker"],
            "when": "Monday",
            "url": "/o/acme/",
        },
        dedupe_key="dym",
    )
    assert drain() == {"sent": 1}
    [posted] = slack_api.calls_to("chat.postMessage")
    assert posted["channel"] == "DUALICE"
    section, actions = posted["blocks"]
    assert "Did you meet Bob Baker?" in section["text"]["text"]
    assert "Hello" not in section["text"]["text"] and "Stop " not in section["text"]["text"]
    buttons = actions["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Yes, we met", "Not yet", "Reschedule"]
    assert [b["action_id"] for b in buttons] == [
        "checkin_met",
        "checkin_not_yet",
        "checkin_reschedule",
    ]
    assert all(json.loads(b["value"]) == {"checkin": 42} for b in buttons)
    # Reschedule opens the check-in in its partnership's space, not the organization's home.
    assert buttons[2]["url"].endswith(f"/o/acme/partnerships/{p.pk}/checkins/42/")


def test_the_reminder_before_a_checkin_has_no_yes_we_met(
    world: World, slack_api: FakeSlack
) -> None:
    """Sent 24 h before: there is nothing to log yet, so only Reschedule is offered."""
    slack_api.users["alice@acme.example"] = "UALICE"
    connect(world)
    p = pair(world)
    preference_set(person=world.alice_person, kind="checkin_reminder", channel="slack")
    notify(
        person=world.alice_person,
        kind="checkin_reminder",
        template="reminder_checkin",
        context={
            "checkin_id": 42,
            "partnership_id": p.pk,
            "partners": ["Bob Baker"],
            "when": "Tuesday 5 May, 10:00 (Europe/Berlin)",
            "minutes_before": 1440,
            "duration": 30,
            "url": "/o/acme/",
        },
        dedupe_key="reminder",
    )
    assert drain() == {"sent": 1}
    [posted] = slack_api.calls_to("chat.postMessage")
    _, actions = posted["blocks"]
    assert [b["text"]["text"] for b in actions["elements"]] == ["Reschedule"]


def test_it_escapes_what_people_wrote(world: World, slack_api: FakeSlack) -> None:
    """A request's note is the sender's own text: on Slack it must read as that text, not as a
    link dressed up as a button label or a mention of the whole channel."""
    slack_api.users["alice@acme.example"] = "UALICE"
    connect(world)
    preference_set(person=world.alice_person, kind="request", channel="slack")
    note = "<https://evil.example|Accept here> <!here> & thanks"
    notify(
        person=world.alice_person,
        kind="request",
        template="request_received",
        context={
            "program": "Peers",
            "org_slug": "acme",
            "sender": "Mallory <@U0BOSS>",
            "sender_title": "",
            "note": note,
            "request_id": 1,
        },
        dedupe_key="req",
    )
    assert drain() == {"sent": 1}
    [posted] = slack_api.calls_to("chat.postMessage")
    text = posted["text"]
    assert "&lt;https://evil.example|Accept here&gt; &lt;!here&gt; &amp; thanks" in text
    assert "Mallory &lt;@U0BOSS&gt;" in text
    assert "<!here>" not in text and "<https://evil" not in text and "<@U0BOSS>" not in text
    assert posted["blocks"][0]["text"]["text"] == text


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


# --- buttons ----------------------------------------------------------------------------------


def _checkin(w: World, *, hours_ago: float = 2) -> CheckIn:
    return CheckIn.objects.create(
        partnership=pair(w), scheduled_start=timezone.now() - dt.timedelta(hours=hours_ago)
    )


def _action_body(
    checkin: CheckIn, action: str, user: str = "UALICE", response_url: str = ""
) -> bytes:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0ACME"},
        "user": {"id": user},
        "response_url": response_url,
        "actions": [{"action_id": action, "value": json.dumps({"checkin": checkin.pk})}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _post(name: str, body: bytes, headers: dict[str, str]) -> Any:
    return Client().post(
        reverse(name),
        body,
        content_type="application/x-www-form-urlencoded",
        **headers,  # type: ignore[arg-type]
    )


def _interactive(body: bytes, headers: dict[str, str]) -> int:
    return int(_post("slack_interactive", body, headers).status_code)


def test_it_logs_the_checkin_from_a_signed_yes_we_met(world: World, slack_api: FakeSlack) -> None:
    link(world, connect(world))
    checkin = _checkin(world)
    body = _action_body(checkin, "checkin_met", response_url=f"{slack_api.url}respond")
    assert _interactive(body, signed(body)) == 200
    checkin.refresh_from_db()
    assert checkin.status == CheckinStatus.HELD and checkin.logged_by == world.alice_person
    [answer] = slack_api.calls_to("respond")
    assert "logged as held" in answer["text"] and answer["replace_original"] is True


def test_yes_we_met_is_refused_before_the_checkin_started(
    world: World, slack_api: FakeSlack
) -> None:
    """The button used to write the status itself, so a check-in of next week could be logged
    as held from Slack. It goes through checkin_log now, with the web page's rules."""
    link(world, connect(world))
    checkin = _checkin(world, hours_ago=-24)
    body = _action_body(checkin, "checkin_met", response_url=f"{slack_api.url}respond")
    assert _interactive(body, signed(body)) == 200
    checkin.refresh_from_db()
    assert checkin.status == CheckinStatus.SCHEDULED and checkin.logged_by is None
    [answer] = slack_api.calls_to("respond")
    assert answer["text"] == "This check-in has not started yet."
    assert answer["replace_original"] is False  # the buttons stay for later


def test_reschedule_changes_nothing(world: World, slack_api: FakeSlack) -> None:
    link(world, connect(world))
    checkin = _checkin(world)
    body = _action_body(checkin, "checkin_reschedule", response_url=f"{slack_api.url}respond")
    assert _interactive(body, signed(body)) == 200
    checkin.refresh_from_db()
    assert checkin.status == CheckinStatus.SCHEDULED
    assert slack_api.calls_to("respond") == []  # the button's link opened the page


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
    link(world, connect(world))
    checkin = _checkin(world)
    body = _action_body(checkin, "checkin_met")
    assert _interactive(body, headers(body)) == 403
    checkin.refresh_from_db()
    assert checkin.status == CheckinStatus.SCHEDULED


def _malformed_headers(body: bytes) -> list[dict[str, str]]:
    good = signed(body)
    stamp, signature = good["HTTP_X_SLACK_REQUEST_TIMESTAMP"], good["HTTP_X_SLACK_SIGNATURE"]
    return [
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": "abc", "HTTP_X_SLACK_SIGNATURE": signature},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": "1e3", "HTTP_X_SLACK_SIGNATURE": signature},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": "", "HTTP_X_SLACK_SIGNATURE": signature},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": f" {stamp}", "HTTP_X_SLACK_SIGNATURE": signature},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": "v0=é" + "0" * 62},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": "ü"},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": signature.upper()},
    ]


@pytest.mark.parametrize("endpoint", ["slack_interactive", "slack_command"])
def test_malformed_signature_headers_are_a_403_not_a_500(
    world: World, slack_api: FakeSlack, endpoint: str
) -> None:
    link(world, connect(world))
    checkin = _checkin(world)
    if endpoint == "slack_interactive":
        body = _action_body(checkin, "checkin_met")
    else:
        body = urlencode({"team_id": "T0ACME", "user_id": "UALICE"}).encode()
    for headers in _malformed_headers(body):
        assert _post(endpoint, body, headers).status_code == 403, headers
    checkin.refresh_from_db()
    assert checkin.status == CheckinStatus.SCHEDULED


MALFORMED_PAYLOADS = [
    b"",
    b"\xff\xfe",
    b"payload=",
    b"payload=not-json",
    urlencode({"payload": "[1, 2]"}).encode(),
    urlencode({"payload": "[" * 5000}).encode(),
    urlencode({"payload": json.dumps({"type": 3})}).encode(),
    urlencode({"payload": json.dumps({"type": "block_actions"})}).encode(),
    urlencode({"payload": json.dumps({"type": "block_actions", "actions": "x"})}).encode(),
    urlencode({"payload": json.dumps({"type": "block_actions", "actions": [7]})}).encode(),
    urlencode(
        {
            "payload": json.dumps(
                {"type": "block_actions", "team": "T0ACME", "user": {"id": "UALICE"}, "actions": []}
            )
        }
    ).encode(),
    urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "block_actions",
                    "team": {"id": ["T0ACME"]},
                    "user": {"id": "UALICE"},
                    "actions": [],
                }
            )
        }
    ).encode(),
    urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "block_actions",
                    "team": {"id": "T0ACME"},
                    "user": {"id": "UALICE"},
                    "actions": [{"action_id": None, "value": "{}"}],
                }
            )
        }
    ).encode(),
]


def test_signed_but_malformed_payloads_are_a_400_not_a_500(
    world: World, slack_api: FakeSlack
) -> None:
    link(world, connect(world))
    checkin = _checkin(world)
    for body in MALFORMED_PAYLOADS:
        assert _interactive(body, signed(body)) == 400, body[:80]
    checkin.refresh_from_db()
    assert checkin.status == CheckinStatus.SCHEDULED


def test_a_button_with_an_odd_value_changes_nothing(world: World, slack_api: FakeSlack) -> None:
    link(world, connect(world))
    checkin = _checkin(world)
    for value in ["", "7", "null", '{"checkin": "1"}', '{"checkin": true}', "{", 5]:
        payload = {
            "type": "block_actions",
            "team": {"id": "T0ACME"},
            "user": {"id": "UALICE"},
            "actions": [{"action_id": "checkin_met", "value": value}],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        assert _interactive(body, signed(body)) in (200, 400)
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


# --- the slash command ------------------------------------------------------------------------


def test_it_answers_the_slash_command_with_my_next_checkin(
    world: World, slack_api: FakeSlack
) -> None:
    link(world, connect(world))
    p = pair(world)
    CheckIn.objects.create(
        partnership=p, scheduled_start=dt.datetime(2030, 5, 7, 8, 0, tzinfo=dt.UTC)
    )
    body = urlencode({"team_id": "T0ACME", "user_id": "UALICE", "command": "/twoway"}).encode()
    response = _post("slack_command", body, signed(body))
    answer = response.json()
    assert answer["response_type"] == "ephemeral"
    assert "Bob Baker" in answer["text"]
    assert "Tuesday 7 May, 10:00 (Europe/Berlin)" in answer["text"]
    bad = Client().post(
        reverse("slack_command"), body, content_type="application/x-www-form-urlencoded"
    )
    assert bad.status_code == 403
    empty = b"command=/twoway"
    assert _post("slack_command", empty, signed(empty)).status_code == 400


# --- connecting a workspace -------------------------------------------------------------------


def _oauth(client: Client, org_slug: str) -> Any:
    response = client.get(reverse("slack_install", kwargs={"org_slug": org_slug}))
    assert response.status_code == 302
    state = parse_qs(urlparse(response["Location"]).query)["state"][0]
    return client.get(reverse("slack_oauth_callback"), {"code": "abc", "state": state})


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
    audit = AuditEvent.objects.get(action="slack.connect")
    assert audit.actor == world.carol and audit.organization == world.acme
    # The state is bound to the admin who started: someone else cannot finish it.
    assert (
        client_for(world.alice)
        .get(reverse("slack_oauth_callback"), {"code": "abc", "state": state})
        .status_code
        == 400
    )


def test_one_workspace_cannot_serve_two_organizations(world: World, slack_api: FakeSlack) -> None:
    """Connecting Acme's workspace to Globex was a 500 (the unique team id). It is a refusal
    with a reason now, and Acme keeps its connection."""
    assert _oauth(client_for(world.carol), "acme").status_code == 302
    Membership.objects.filter(user=world.dave, organization=world.globex).update(
        role=Role.ORG_ADMIN
    )
    dave = client_for(world.dave)
    response = _oauth(dave, "globex")
    assert response.status_code == 302
    assert response["Location"] == reverse("slack_settings", kwargs={"org_slug": "globex"})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "already connected to another organization" in message
    assert "Acme" not in message  # Globex's admin learns nothing about who has it
    [workspace] = SlackWorkspace.objects.all()
    assert workspace.organization == world.acme
    assert not AuditEvent.objects.filter(organization=world.globex).exists()


def test_disconnecting_is_audited_and_sends_email_again(world: World, slack_api: FakeSlack) -> None:
    link(world, connect(world))
    response = client_for(world.carol).post(
        reverse("slack_disconnect", kwargs={"org_slug": "acme"})
    )
    assert response.status_code == 302
    assert not SlackWorkspace.objects.exists() and not SlackIdentity.objects.exists()
    audit = AuditEvent.objects.get(action="slack.disconnect")
    assert audit.actor == world.carol and audit.target == "Acme Slack"
    preference_set(person=world.alice_person, kind="nudge", channel="slack")
    notify(
        person=world.alice_person,
        kind="nudge",
        template="reminder_request",
        context={"sender": "Bob", "program": "Peers", "days": 5},
        dedupe_key="after",
    )
    assert drain() == {"sent": 1}
    assert OutboxMessage.objects.get(dedupe_key="after").channel == "email"
