"""The worker's clock and the outbox's housekeeping: jobs from every app, leases, stale reminders
skipped after an outage, old messages pruned."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World, client_for
from tests.notifications.helpers import drain, row
from twoway.lib import jobs as registry
from twoway.meetings.jobs import checkin_reminders
from twoway.meetings.models import CheckIn
from twoway.notifications.jobs import outbox_prune
from twoway.notifications.models import OutboxMessage, OutboxStatus
from twoway.notifications.services import notify
from twoway.notifications.worker import claim
from twoway.programs.models import MatchRequest, Partnership, PartnershipMember, Program

CTX = {"sender": "Bob Baker", "program": "Peers", "days": 5, "url": "/o/acme/"}
T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)


def queue(w: World, key: str, **kw: object) -> OutboxMessage | None:
    return notify(
        person=w.alice_person,
        kind="request",
        template="reminder_request",
        context=CTX,
        dedupe_key=key,
        **kw,  # type: ignore[arg-type]
    )


def test_every_app_registers_its_own_jobs() -> None:
    found = {j.name: j for j in registry.registered()}
    owners = {name: j.run.__module__ for name, j in found.items()}
    assert owners["checkin_reminders"] == "twoway.meetings.jobs"
    assert owners["request_expiry"] == "twoway.programs.jobs"
    assert owners["goals_not_set"] == "twoway.goals.jobs"
    assert owners["fit_checks"] == "twoway.feedback.jobs"
    assert owners["closing_reflections"] == "twoway.partnerships.jobs"
    assert owners["insights"].startswith("twoway.insights.")
    assert owners["outbox_prune"] == "twoway.notifications.jobs"
    # Queued matching rounds start on every pass, not on the next minute.
    assert found["matching_rounds"].every is None
    assert found["weekly_digests"].every == dt.timedelta(hours=1)
    assert not any(m.startswith("twoway.notifications.rules") for m in owners.values())


def test_a_job_name_is_taken_once() -> None:
    def other(now: dt.datetime) -> int:
        return 0

    with pytest.raises(ValueError, match="two jobs are named 'outbox_prune'"):
        registry.job("outbox_prune", every=dt.timedelta(hours=1))(other)


# The worker loop closes connections that are not in autocommit (close_old_connections), as
# it must in production: inside a test's transaction that would close the test's connection.
@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_the_apps_jobs_and_sends(world: World) -> None:
    program = Program.objects.create(organization=world.acme, name="Peers")
    MatchRequest.objects.create(
        program=program,
        sender=world.alice_person,
        receiver=world.bob_person,
        note="Coffee?",
        created=timezone.now() - dt.timedelta(days=6),
    )
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "sent 1" in out.getvalue()
    [email] = mail.outbox
    assert email.to == ["bob@acme.example"] and "Alice Archer" in email.subject


def test_the_lease_ends_when_the_claim_says(world: World) -> None:
    queue(world, "k1")
    before = timezone.now()
    claimed = claim(worker="w", limit=5, lease=dt.timedelta(seconds=60))
    assert len(claimed.rows) == 1
    # The worker checks the lease against the value written, never a later now + lease.
    assert claimed.lease_end == OutboxMessage.objects.get().claimed_until
    assert (
        before + dt.timedelta(seconds=60)
        <= claimed.lease_end
        <= timezone.now() + dt.timedelta(seconds=60)
    )


def test_a_reminder_long_past_its_moment_is_skipped_not_sent(world: World) -> None:
    """The worker was down (or an upgrade took long) across a check-in: the reminder queued a
    day before is not sent after the check-in has started."""
    program = Program.objects.create(organization=world.acme, name="Peers")
    p = Partnership.objects.create(
        organization=world.acme, program=program, source="hand", started_on=T0.date()
    )
    for person in (world.alice_person, world.bob_person):
        PartnershipMember.objects.create(partnership=p, person=person)
    start = T0 + dt.timedelta(days=3)
    CheckIn.objects.create(partnership=p, scheduled_start=start)
    with time_machine.travel(start - dt.timedelta(hours=24), tick=False):
        assert checkin_reminders(timezone.now()) == 2
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        assert drain() == {"expired": 2}
    assert mail.outbox == []
    for message in OutboxMessage.objects.all():
        assert message.status == OutboxStatus.SKIPPED and message.attempts == 0
        assert message.skip_reason.startswith("too late: its moment passed")
    # The org admin's outbox shows them as skipped and why, not as failures.
    page = client_for(world.carol).get(
        reverse("notification_outbox", kwargs={"org_slug": "acme"}), {"status": "skipped"}
    )
    assert page.content.decode().count("too late: its moment passed") == 2
    # In time, the same reminder goes out.
    CheckIn.objects.create(partnership=p, scheduled_start=start + dt.timedelta(days=14))
    with time_machine.travel(start + dt.timedelta(days=13), tick=False):
        assert checkin_reminders(timezone.now()) == 2
        assert drain() == {"sent": 2}


def test_messages_without_an_expiry_are_sent_late(world: World) -> None:
    queue(world, "no-expiry", due_at=timezone.now() - dt.timedelta(days=3))
    assert drain() == {"sent": 1}


def _aged(key: str, status: str, days: int, w: World) -> None:
    queue(w, key)
    moment = timezone.now() - dt.timedelta(days=days)
    OutboxMessage.objects.filter(dedupe_key=key).update(
        status=status, due_at=moment, sent_at=moment if status == OutboxStatus.SENT else None
    )


def test_sent_messages_are_pruned_after_the_retention(world: World) -> None:
    _aged("sent-old", OutboxStatus.SENT, 91, world)
    _aged("sent-recent", OutboxStatus.SENT, 89, world)
    _aged("skipped-old", OutboxStatus.SKIPPED, 91, world)
    _aged("failed-old", OutboxStatus.FAILED, 400, world)
    _aged("pending-old", OutboxStatus.PENDING, 91, world)
    outbox_prune(timezone.now())
    left = set(OutboxMessage.objects.values_list("dedupe_key", flat=True))
    assert left == {"sent-recent", "failed-old", "pending-old"}
    with override_settings(OUTBOX_RETENTION_DAYS=60):
        outbox_prune(timezone.now())
    assert not OutboxMessage.objects.filter(dedupe_key="sent-recent").exists()
    # A dedupe key must outlive every job's look-back: retention never drops below 30 days.
    _aged("sent-29", OutboxStatus.SENT, 29, world)
    with override_settings(OUTBOX_RETENTION_DAYS=1):
        outbox_prune(timezone.now())
    assert row("sent-29").status == OutboxStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_gives_reminders_already_queued_an_expiry(world: World) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("notifications", "0004_slack_models_to_integration")]
    after = [("notifications", "0005_outbox_expires_at")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("notifications", "OutboxMessage")
    queued = timezone.now() - dt.timedelta(hours=30)
    for key, kind, template in [
        ("old-reminder", "checkin_reminder", "reminder_checkin"),
        ("old-request-reminder", "request", "reminder_request"),
        ("old-request", "request", "request_received"),
    ]:
        old.objects.create(
            organization_id=world.acme.pk,
            recipient_id=world.alice_person.pk,
            kind=kind,
            template=template,
            context=CTX,
            dedupe_key=key,
            created=queued,
            due_at=queued,
        )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    assert row("old-reminder").expires_at == queued + dt.timedelta(days=1)
    assert row("old-request-reminder").expires_at == queued + dt.timedelta(days=1)
    assert row("old-request").expires_at is None  # not a reminder: still sent
    assert drain() == {"expired": 2, "sent": 1}
