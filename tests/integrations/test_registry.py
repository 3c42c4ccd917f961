"""The transport registry: channels map to transport classes by dotted path in settings."""

from __future__ import annotations

from django.test import override_settings

from tests.conftest import World
from tests.notifications.helpers import drain, row
from twoway.notifications.models import OutboxMessage
from twoway.notifications.services import notify, preference_set
from twoway.notifications.transports import build_transports, reachable_organizations


class Recorder:
    """A transport that keeps what it was given (a stand-in for a new integration)."""

    channel = "email"
    sent: list[str] = []

    def send(self, message: OutboxMessage, *, delivery_id: str) -> None:
        Recorder.sent.append(message.dedupe_key)

    def close(self) -> None:
        pass


RECORDER = "tests.integrations.test_registry.Recorder"
SLACK = "twoway.integrations.slack.transport.SlackTransport"


def test_the_worker_sends_with_the_transport_named_in_settings(world: World) -> None:
    Recorder.sent = []
    with override_settings(TWOWAY_TRANSPORTS={"email": RECORDER, "slack": SLACK}):
        assert isinstance(build_transports()["email"], Recorder)
        notify(
            person=world.alice_person,
            kind="nudge",
            template="reminder_request",
            context={"sender": "Bob", "program": "Peers", "days": 5},
            dedupe_key="k1",
        )
        assert drain() == {"sent": 1}
    assert Recorder.sent == ["k1"]
    assert row("k1").channel == "email"


def test_a_channel_reaches_what_its_transport_says(world: World) -> None:
    orgs = [world.acme.pk, world.globex.pk]
    # Email needs nothing connected; Slack needs a workspace; an unknown channel reaches nobody.
    assert reachable_organizations("email", orgs) == set(orgs)
    assert reachable_organizations("slack", orgs) == set()
    assert reachable_organizations("teams", orgs) == set()
    # Without a transport for Slack, a person's Slack choice falls back to email.
    with override_settings(TWOWAY_TRANSPORTS={"email": RECORDER}):
        Recorder.sent = []
        preference_set(person=world.alice_person, kind="nudge", channel="slack")
        notify(
            person=world.alice_person,
            kind="nudge",
            template="reminder_request",
            context={"sender": "Bob", "program": "Peers", "days": 5},
            dedupe_key="k2",
        )
        assert drain() == {"sent": 1}
    assert Recorder.sent == ["k2"] and row("k2").channel == "email"
