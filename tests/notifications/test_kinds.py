"""The kinds registry: every kind that is sent is a kind a person can manage, and no other;
calendar updates can be moved between channels but never silently turned off."""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from tests.conftest import World, client_for
from tests.notifications.helpers import drain, row
from twoway.integrations.slack.models import SlackWorkspace
from twoway.notifications import kinds
from twoway.notifications.models import NotificationPreference, OutboxStatus
from twoway.notifications.services import notify, unsubscribe_token

ROOT = Path(__file__).resolve().parents[2] / "twoway"
SENDERS = {"notify", "notify_group", "notify_many"}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _value(node: ast.expr, module: str) -> str | None:
    """A literal, or a module-level constant (`kind=REQUEST`) read from the imported module."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        found = getattr(importlib.import_module(module), node.id, None)
        return found if isinstance(found, str) else None
    return None


@functools.cache
def sent_kinds() -> frozenset[str]:
    """Every kind passed to notify()/notify_group() in the code base. A kind forwarded through a
    helper's parameter (`def _send(template): notify(kind=template)`) is followed one level to
    the helper's callers; anything else unresolved fails the test, so nothing hides."""
    trees = {p: ast.parse(p.read_text()) for p in ROOT.rglob("*.py")}
    found: set[str] = set()
    forwarded: dict[str, str] = {}  # helper function name → the parameter it passes as kind
    unresolved = []
    for path, tree in trees.items():
        module = _module_name(path)
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            params = {a.arg for a in func.args.args + func.args.kwonlyargs}
            for call in ast.walk(func):
                if not isinstance(call, ast.Call) or _callee(call) not in SENDERS:
                    continue
                for kw in call.keywords:
                    if kw.arg != "kind" or func.name in SENDERS:
                        continue
                    value = _value(kw.value, module)
                    if value is not None:
                        found.add(value)
                    elif isinstance(kw.value, ast.Name) and kw.value.id in params:
                        forwarded[func.name] = kw.value.id
                    else:
                        unresolved.append(f"{path}:{call.lineno}")
    for path, tree in trees.items():
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and _callee(call) in forwarded:
                for kw in call.keywords:
                    if kw.arg == forwarded[_callee(call)]:
                        value = _value(kw.value, _module_name(path))
                        if value is None:
                            unresolved.append(f"{path}:{call.lineno}")
                        else:
                            found.add(value)
    assert not unresolved, f"kind= that the test cannot read: {unresolved}"
    return frozenset(found)


def test_every_kind_sent_is_registered_and_every_registered_kind_is_sent() -> None:
    sent = sent_kinds()
    registered = {k.key for k in kinds.all_kinds()}
    # The calendar kinds are forwarded through meetings.services._send: the walk follows them.
    assert {"checkin_invite", "checkin_cancel", "partnership_ended", "request"} <= sent
    assert sent - registered == set(), "sent but not declared in any kinds.py"
    assert registered - sent == set(), "declared but sent by nobody: it would control nothing"


def test_the_preferences_page_lists_every_kind_that_is_sent(world: World) -> None:
    page = client_for(world.alice).get(
        reverse("notification_preferences", kwargs={"org_slug": "acme"})
    )
    body = page.content.decode()
    for key in sent_kinds():
        kind = kinds.get(key)
        if kind.to_address:
            # An HR contact or a password reset: no account, no preferences, not listed.
            assert f'name="kind_{key}"' not in body, key
            continue
        assert f'name="kind_{key}"' in body, key
        assert escape(kind.label) in body, key


def test_notify_refuses_an_unknown_kind(world: World) -> None:
    with pytest.raises(kinds.UnknownKind, match="checkin_invitation"):
        notify(
            person=world.alice_person,
            kind="checkin_invitation",
            template="checkin_invite",
            context={},
            dedupe_key="typo",
        )


def invite(w: World, key: str) -> None:
    notify(
        person=w.alice_person,
        kind="checkin_invite",
        template="checkin_invite",
        context={
            "partners": ["Bob Baker"],
            "by": "Bob Baker",
            "every_weeks": 2,
            "weekday": "Tuesday",
            "local_time": "10:00",
            "time_zone": "Europe/Berlin",
            "minutes": 30,
            "mode": "Video",
            "location": "",
            "first_start": "2026-05-12T08:00:00+00:00",
            "updated": False,
            "partnership_url": "https://twoway.example.com/o/acme/partnerships/1/",
            "url": "/o/acme/partnerships/1/",
        },
        dedupe_key=key,
    )


FIXED = ["checkin_invite", "checkin_cancel", "partnership_ended"]


def test_the_kinds_that_keep_a_calendar_right_cannot_be_turned_off() -> None:
    assert sorted(k.key for k in kinds.all_kinds() if not k.can_turn_off) == sorted(FIXED)


@pytest.mark.parametrize("kind", FIXED)
def test_an_unsubscribe_link_changes_nothing_for_a_fixed_kind(world: World, kind: str) -> None:
    token = unsubscribe_token(person=world.alice_person, kind=kind)
    url = reverse("notifications_unsubscribe", kwargs={"token": token})
    page = Client().get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "cannot be turned off" in body
    assert "/o/acme/settings/notifications/" in body and "<form" not in body
    # A mail client's one-click POST changes nothing either, and says so.
    answer = Client(enforce_csrf_checks=True).post(url)
    assert answer.status_code == 200 and "nothing was changed" in answer.content.decode()
    assert not NotificationPreference.objects.exists()


def test_calendar_invites_keep_coming_after_an_unsubscribe_click(world: World) -> None:
    token = unsubscribe_token(person=world.alice_person, kind="checkin_invite")
    Client().post(reverse("notifications_unsubscribe", kwargs={"token": token}))
    invite(world, "invite-1")
    assert drain() == {"sent": 1}
    [email] = mail.outbox
    # No unsubscribe button in the mail client for a message it cannot turn off.
    assert "List-Unsubscribe" not in email.extra_headers
    assert "cannot be turned off" in email.body and "Stop calendar invites" not in email.body


def test_an_old_off_choice_does_not_stop_calendar_invites(world: World) -> None:
    """Before the registry, a one-click unsubscribe stored "off" for checkin_invite and invites
    stopped for good; such a row now counts as no choice."""
    NotificationPreference.objects.create(
        person=world.alice_person, kind="checkin_invite", channel="off"
    )
    invite(world, "invite-2")
    drain()
    assert row("invite-2").status == OutboxStatus.SENT and len(mail.outbox) == 1


def test_calendar_invites_can_move_to_slack_but_not_turn_off(world: World) -> None:
    workspace = SlackWorkspace(organization=world.acme, team_id="T1", team_name="Acme")
    workspace.set_bot_token("xoxb-test")
    workspace.save()
    url = reverse("notification_preferences", kwargs={"org_slug": "acme"})
    client = client_for(world.alice)
    page = client.get(url).content.decode()
    field = page[page.index('name="kind_checkin_invite"') :].split("</select>")[0]
    assert 'value="slack"' in field and 'value="off"' not in field
    data = {f"kind_{k.key}": "email" for k in kinds.for_people()}
    refused = client.post(url, {**data, "kind_checkin_invite": "off"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    assert not NotificationPreference.objects.filter(kind="checkin_invite").exists()
    assert client.post(url, {**data, "kind_checkin_invite": "slack"}).status_code == 302
    choice = NotificationPreference.objects.get(person=world.alice_person, kind="checkin_invite")
    assert choice.channel == "slack"


def test_an_ordinary_kind_is_still_one_click(world: World) -> None:
    token = unsubscribe_token(person=world.alice_person, kind="nudge")
    url = reverse("notifications_unsubscribe", kwargs={"token": token})
    assert "Done: no more" in Client().post(url).content.decode()
    assert NotificationPreference.objects.get(kind="nudge").channel == "off"


def test_an_old_link_for_a_kind_nobody_sends_says_so(world: World) -> None:
    # A kind an older version sent and no app declares any more.
    token = unsubscribe_token(person=world.alice_person, kind="weekly_tips")
    url = reverse("notifications_unsubscribe", kwargs={"token": token})
    for response in (Client().get(url), Client().post(url)):
        assert "no longer sends" in response.content.decode()
        assert "<form" not in response.content.decode()
    assert not NotificationPreference.objects.exists()
