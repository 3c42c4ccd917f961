"""Webhooks: registered by org admins (HTTPS, audited, secret shown once and stored encrypted),
emitted by the services where things happen, delivered through the outbox to a receiver on
loopback, signed as the README says, retried when the receiver fails, free of private content."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.conftest import World, client_for
from tests.integrations.webhooks.receiver import Receiver
from tests.notifications.helpers import drain
from twoway.accounts.models import AuditEvent
from twoway.integrations.webhooks.models import WebhookEndpoint
from twoway.integrations.webhooks.services import webhook_endpoint_create
from twoway.lib import crypto
from twoway.lib.errors import Invalid
from twoway.lib.events import EVENTS
from twoway.notifications.models import OutboxMessage, OutboxStatus
from twoway.programs.models import Program, ProgramStatus
from twoway.programs.services import partnership_create, partnership_end

# A receiver on this machine: plain HTTP to a loopback address, allowed for these tests only
# (the guard itself is tested with both off, in test_addresses.py).
LOOPBACK = override_settings(WEBHOOKS_ALLOW_HTTP_LOOPBACK=True, TWOWAY_WEBHOOK_ALLOW_PRIVATE=True)


def readme_verify(secret: str, header: str, body: bytes) -> bool:
    """The README's recipe, written out as a receiver would: split the header, HMAC-SHA256 of
    `<t>.<body>` with the secret, compare in constant time, refuse an old timestamp."""
    fields = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    fresh = abs(time.time() - int(fields["t"])) < 300
    return fresh and hmac.compare_digest(expected, fields["v1"])


def _program(world: World) -> Program:
    return Program.objects.create(organization=world.acme, name="Peers", status=ProgramStatus.OPEN)


@LOOPBACK
def test_a_signed_event_reaches_the_receiver_and_a_failure_is_retried(world: World) -> None:
    with Receiver(statuses=[500]) as receiver:
        made = webhook_endpoint_create(
            organization=world.acme,
            url=receiver.url,
            events=["partnership.created"],
            actor=world.carol,
        )
        pair = partnership_create(
            program=_program(world),
            people=[world.alice_person, world.bob_person],
            source="hand",
        )
        row = OutboxMessage.objects.get(channel="webhook")
        drain()
        row.refresh_from_db()
        assert row.status == OutboxStatus.PENDING and row.attempts == 1
        assert "answered 500" in row.last_error and row.due_at > timezone.now()
        # The backoff has passed.
        OutboxMessage.objects.filter(pk=row.pk).update(due_at=timezone.now())
        drain()
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    first, second = receiver.received
    assert first.body == second.body
    for delivery in (first, second):
        assert readme_verify(made.secret, delivery.headers["Twoway-Signature"], delivery.body)
        assert not readme_verify("whsec_wrong", delivery.headers["Twoway-Signature"], delivery.body)
        assert delivery.headers["Twoway-Event"] == "partnership.created"
    tampered = first.body.replace(b"hand", b"round")
    assert not readme_verify(made.secret, first.headers["Twoway-Signature"], tampered)
    event = json.loads(second.body)
    assert event["type"] == "partnership.created"
    assert event["id"] == f"partnership.created:{pair.pk}"
    assert event["data"]["members"] == sorted([world.alice_person.pk, world.bob_person.pk])


@LOOPBACK
def test_events_carry_ids_statuses_and_dates_never_what_people_wrote(world: World) -> None:
    from twoway.directory.services import person_deactivate
    from twoway.meetings.services import checkin_log_informal

    with Receiver() as receiver:
        webhook_endpoint_create(
            organization=world.acme, url=receiver.url, events=list(EVENTS), actor=world.carol
        )
        program = _program(world)
        pair = partnership_create(
            program=program, people=[world.alice_person, world.bob_person], source="hand"
        )
        checkin_log_informal(
            partnership=pair,
            by=world.alice_person,
            start=timezone.now() - dt.timedelta(hours=1),
            minutes=30,
            summary="Talked about my burnout",
        )
        partnership_end(
            partnership=pair,
            by=world.alice_person,
            completed=False,
            reason="Bob keeps cancelling",
            fit_rating=2,
        )
        person_deactivate(
            person=world.bob_person, left_on=timezone.localdate(), actor=None, source="test"
        )
        # The same event twice is one delivery (the outbox's dedupe key).
        OutboxMessage.objects.filter(channel="webhook").update(due_at=timezone.now())
        drain()
    types = [json.loads(r.body)["type"] for r in receiver.received]
    assert sorted(types) == sorted(
        ["partnership.created", "checkin.held", "partnership.ended", "person.deactivated"]
    )
    everything = b" ".join(r.body for r in receiver.received).decode()
    for private in ("burnout", "cancelling", "Alice", "Bob", "acme.example", '"fit'):
        assert private not in everything
    ended = next(json.loads(r.body) for r in receiver.received if b"partnership.ended" in r.body)
    assert ended["data"]["status"] == "ended" and ended["data"]["ended_at"]


def test_only_the_organizations_endpoints_for_that_event_get_a_row(world: World) -> None:
    for org, events in ((world.acme, ["person.deactivated"]), (world.globex, list(EVENTS))):
        webhook_endpoint_create(
            organization=org, url="https://hooks.example.com/x", events=events, actor=world.carol
        )
    partnership_create(
        program=_program(world), people=[world.alice_person, world.bob_person], source="hand"
    )
    assert not OutboxMessage.objects.filter(channel="webhook").exists()


def test_an_endpoint_is_https_its_secret_encrypted_and_its_changes_audited(world: World) -> None:
    client = client_for(world.carol)
    refused = client.post(
        "/o/acme/settings/webhooks/",
        {"url": "http://hr.acme.example/hooks", "events": ["checkin.held"]},
    )
    assert refused.status_code == 400 and b"HTTPS" in refused.content
    assert not WebhookEndpoint.objects.exists()
    with pytest.raises(Invalid):
        webhook_endpoint_create(
            organization=world.acme,
            url="http://127.0.0.1:9/hooks",  # loopback HTTP is for tests only, when allowed
            events=["checkin.held"],
            actor=world.carol,
        )
    made = client.post(
        "/o/acme/settings/webhooks/",
        {"url": "https://hr.acme.example/hooks", "events": ["checkin.held", "round.published"]},
    )
    assert made.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    secret = crypto.decrypt(endpoint.secret_encrypted)
    assert secret.startswith("whsec_") and secret in made.content.decode()
    assert secret not in endpoint.secret_encrypted
    assert secret not in client.get("/o/acme/settings/webhooks/").content.decode()
    assert AuditEvent.objects.filter(action="webhook.created", actor=world.carol).exists()
    # Another organization's admin cannot delete it.
    assert client_for(world.dave).post(
        f"/o/globex/settings/webhooks/{endpoint.pk}/delete/"
    ).status_code in (403, 404)
    client.post(f"/o/acme/settings/webhooks/{endpoint.pk}/delete/")
    endpoint.refresh_from_db()
    assert endpoint.deleted_at is not None
    assert AuditEvent.objects.filter(action="webhook.deleted").exists()


@LOOPBACK
def test_a_deleted_endpoint_fails_its_queued_deliveries_for_good(world: World) -> None:
    from twoway.integrations.webhooks.services import webhook_endpoint_delete

    made = webhook_endpoint_create(
        organization=world.acme,
        url="http://127.0.0.1:9/never",
        events=["partnership.created"],
        actor=world.carol,
    )
    partnership_create(
        program=_program(world), people=[world.alice_person, world.bob_person], source="hand"
    )
    webhook_endpoint_delete(endpoint=made.endpoint, actor=world.carol)
    drain()
    row = OutboxMessage.objects.get(channel="webhook")
    assert row.status == OutboxStatus.FAILED and row.failed_permanently
    assert "deleted" in row.last_error
