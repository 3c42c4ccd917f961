"""The outbox and the worker: once, on the chosen channel, at the right time."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tests.conftest import World
from tests.notifications.helpers import drain, row
from twoway.integrations.email.transport import EmailTransport
from twoway.notifications import services
from twoway.notifications.kinds import UnknownKind
from twoway.notifications.models import NotificationSettings, OutboxMessage, OutboxStatus
from twoway.notifications.services import (
    Message,
    notify,
    notify_group,
    notify_many,
    preference_set,
)
from twoway.notifications.transports import TransportError
from twoway.notifications.worker import MAX_ATTEMPTS, backoff, claim

CTX = {"sender": "Bob Baker", "program": "Peers", "days": 5, "url": "/o/acme/"}


def queue(w: World, key: str = "k1", **kw: object) -> OutboxMessage | None:
    return notify(
        person=w.alice_person,
        kind=str(kw.pop("kind", "request")),
        template="reminder_request",
        context=CTX,
        dedupe_key=key,
        **kw,  # type: ignore[arg-type]
    )


def test_it_queues_a_message_once_per_dedupe_key(world: World) -> None:
    assert queue(world) is not None
    assert queue(world) is None
    assert OutboxMessage.objects.count() == 1
    drain()
    assert queue(world) is None  # also after it was sent
    drain()
    assert len(mail.outbox) == 1
    assert row("k1").status == OutboxStatus.SENT and row("k1").sent_at is not None


def test_many_messages_are_queued_at_once_and_still_once_per_dedupe_key(world: World) -> None:
    queue(world, key="k2")
    messages = [
        Message(person=p, context=CTX, dedupe_key=key)
        for p, key in [
            (world.alice_person, "k1"),
            (world.alice_person, "k2"),
            (world.bob_person, "k3"),
        ]
    ]
    assert notify_many(kind="request", template="reminder_request", messages=messages) == 2
    assert notify_many(kind="request", template="reminder_request", messages=messages) == 0
    rows = {m.dedupe_key: m for m in OutboxMessage.objects.all()}
    assert sorted(rows) == ["k1", "k2", "k3"]
    assert rows["k3"].recipient == world.bob_person and rows["k3"].context == CTX
    # The same row notify() writes: organization, channel, due now, pending.
    assert rows["k1"].organization_id == world.acme.pk and rows["k1"].channel == rows["k2"].channel
    assert rows["k1"].status == OutboxStatus.PENDING and rows["k1"].due_at <= timezone.now()
    drain()
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 3
    with pytest.raises(UnknownKind):
        notify_many(kind="no-such-kind", template="reminder_request", messages=messages)


def test_many_messages_carry_their_own_due_time_and_expiry_chunk_by_chunk(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three chunks of two, each skipping what is queued; a key twice is refused before any write.
    monkeypatch.setattr(services, "NOTIFY_CHUNK", 2)
    later = timezone.now() + dt.timedelta(hours=2)
    expiry = timezone.now() + dt.timedelta(days=1)
    queue(world, key="k3")
    messages = [
        Message(person=world.alice_person, context=CTX, dedupe_key=f"k{i}", expires_at=expiry)
        for i in range(1, 6)
    ] + [Message(person=world.bob_person, context=CTX, dedupe_key="k6", due_at=later)]
    assert notify_many(kind="request", template="reminder_request", messages=messages) == 5
    assert notify_many(kind="request", template="reminder_request", messages=messages) == 0
    assert row("k1").expires_at == expiry and row("k5").expires_at == expiry
    assert row("k3").expires_at is None  # queued first by notify(), left alone
    assert row("k6").due_at == later and row("k6").expires_at is None
    again = [Message(person=world.bob_person, context=CTX, dedupe_key=k) for k in ("k7", "k7")]
    with pytest.raises(ValueError, match="same dedupe key"):
        notify_many(kind="request", template="reminder_request", messages=again)
    assert not OutboxMessage.objects.filter(dedupe_key="k7").exists()


def test_it_renders_text_html_and_unsubscribe_headers(world: World) -> None:
    queue(world)
    drain()
    [message] = mail.outbox
    assert message.subject == "Bob Baker is waiting for your answer"
    assert "Hello Alice Archer" in message.body
    assert message.alternatives[0][1] == "text/html"  # type: ignore[attr-defined]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["Message-ID"] == row("k1").message_id


def test_it_claims_disjoint_rows(world: World) -> None:
    for i in range(5):
        queue(world, f"k{i}")
    lease = dt.timedelta(seconds=60)
    _, first, _ = claim(worker="a", limit=3, lease=lease)
    _, second, _ = claim(worker="b", limit=3, lease=lease)
    assert len(first) == 3 and len(second) == 2
    assert not {m.pk for m in first} & {m.pk for m in second}
    _, third, _ = claim(worker="c", limit=3, lease=lease)
    assert third == []


def test_it_retries_rows_of_a_dead_worker_after_the_lease(world: World) -> None:
    queue(world)
    claim(worker="dead", limit=10, lease=dt.timedelta(seconds=30))
    assert drain() == {}
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=31), tick=False):
        assert drain() == {"sent": 1}
    assert row("k1").attempts == 2
    assert len(mail.outbox) == 1


def test_it_skips_a_kind_the_person_turned_off(world: World) -> None:
    preference_set(person=world.alice_person, kind="request", channel="off")
    queue(world)
    assert drain() == {"skipped": 1}
    message = row("k1")
    assert message.status == OutboxStatus.SKIPPED and not message.failed_permanently
    assert "turned off" in message.skip_reason
    assert mail.outbox == []


class Flaky(EmailTransport):
    def __init__(self, error: TransportError) -> None:
        super().__init__()
        self.error = error

    def send(self, message: OutboxMessage, *, delivery_id: str) -> None:
        raise self.error


def test_it_backs_off_on_transient_errors_and_gives_up(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "twoway.notifications.worker.build_transports",
        lambda: {"email": Flaky(TransportError("451 try later"))},
    )
    queue(world)
    start = timezone.now()
    assert drain() == {"retry": 1}
    message = row("k1")
    assert message.status == OutboxStatus.PENDING and message.last_error == "451 try later"
    assert message.due_at >= start + backoff(1)
    now = start
    for attempt in range(2, MAX_ATTEMPTS + 1):
        now += backoff(attempt - 1) + dt.timedelta(seconds=1)
        with time_machine.travel(now, tick=False):
            drain()
    message = row("k1")
    assert message.status == OutboxStatus.FAILED and message.failed_permanently
    assert message.attempts == MAX_ATTEMPTS and "gave up" in message.last_error


def test_it_stops_at_once_on_a_permanent_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "twoway.notifications.worker.build_transports",
        lambda: {"email": Flaky(TransportError("550 no such user", permanent=True))},
    )
    queue(world)
    assert drain() == {"failed": 1}
    assert row("k1").failed_permanently and row("k1").attempts == 1


class RaisingBackend:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"x@y": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"x@y": (553, b"5.1.3 bad address syntax")}), True),
        (smtplib.SMTPRecipientsRefused({"x@y": (451, b"greylisted")}), False),
        # The relay refusing us, not the address: fixed by configuration, so retried.
        (smtplib.SMTPRecipientsRefused({"x@y": (550, b"5.7.1 relaying denied")}), False),
        (smtplib.SMTPRecipientsRefused({"x@y": (554, b"5.7.1 access denied")}), False),
        (smtplib.SMTPSenderRefused(554, b"5.7.1 sender rejected", "twoway@x"), False),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), False),
        (smtplib.SMTPDataError(554, b"rejected"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(111, "refused"), False),
    ],
)
def test_it_maps_smtp_replies_to_permanent_or_transient(
    world: World, exc: Exception, permanent: bool
) -> None:
    message = queue(world)
    assert message is not None
    transport = EmailTransport()
    transport._connection = RaisingBackend(exc)  # type: ignore[assignment]
    with pytest.raises(TransportError) as caught:
        transport.send(message, delivery_id="d")
    assert caught.value.permanent is permanent


# --- quiet hours, time zones, pause --------------------------------------------------------


def test_it_postpones_a_message_due_in_quiet_hours_in_the_persons_time_zone(world: World) -> None:
    person = world.alice_person
    person.time_zone = "Asia/Singapore"  # UTC+8
    person.save()
    NotificationSettings.objects.create(
        person=person, quiet_start=dt.time(22), quiet_end=dt.time(7)
    )
    # 15:30 UTC is 23:30 in Singapore: quiet until 07:00 SGT = 23:00 UTC.
    with time_machine.travel(dt.datetime(2026, 5, 4, 15, 30, tzinfo=dt.UTC), tick=False):
        queue(world)
        assert drain() == {"postponed": 1}
        message = row("k1")
        assert message.status == OutboxStatus.PENDING and message.attempts == 0
        assert message.due_at == dt.datetime(2026, 5, 4, 23, 0, tzinfo=dt.UTC)
        assert mail.outbox == []
    # 22:59 UTC: still 06:59 in Singapore, not due.
    with time_machine.travel(dt.datetime(2026, 5, 4, 22, 59, tzinfo=dt.UTC), tick=False):
        assert drain() == {}
    with time_machine.travel(dt.datetime(2026, 5, 4, 23, 0, tzinfo=dt.UTC), tick=False):
        assert drain() == {"sent": 1}
    assert len(mail.outbox) == 1


def test_it_sends_in_the_day_for_someone_whose_night_is_our_day(world: World) -> None:
    """The same UTC moment is quiet in Singapore and not in Berlin."""
    world.alice_person.time_zone = "Asia/Singapore"
    world.alice_person.save()
    for person in (world.alice_person, world.bob_person):
        NotificationSettings.objects.create(
            person=person, quiet_start=dt.time(22), quiet_end=dt.time(7)
        )
    world.bob_person.time_zone = "Europe/Berlin"
    world.bob_person.save()
    with time_machine.travel(dt.datetime(2026, 5, 4, 15, 30, tzinfo=dt.UTC), tick=False):
        queue(world, "a")
        notify(
            person=world.bob_person,
            kind="request",
            template="reminder_request",
            context=CTX,
            dedupe_key="b",
        )
        drain()
    assert row("a").status == OutboxStatus.PENDING
    assert row("b").status == OutboxStatus.SENT


def test_it_handles_daytime_quiet_hours_and_dst() -> None:
    settings_row = NotificationSettings(quiet_start=dt.time(12), quiet_end=dt.time(13))
    noon = dt.datetime(2026, 3, 29, 10, 30, tzinfo=dt.UTC)  # 12:30 in Berlin (CEST from today)
    assert settings_row.quiet_until(noon, "Europe/Berlin") == dt.datetime(
        2026, 3, 29, 11, 0, tzinfo=dt.UTC
    )
    assert settings_row.quiet_until(noon, "UTC") is None


def test_it_holds_everything_during_a_pause(world: World) -> None:
    until = timezone.now() + dt.timedelta(days=3)
    NotificationSettings.objects.create(person=world.alice_person, paused_until=until)
    queue(world)
    assert drain() == {"postponed": 1}
    assert row("k1").due_at == until
    with time_machine.travel(until + dt.timedelta(seconds=1), tick=False):
        assert drain() == {"sent": 1}


def test_it_skips_people_who_left(world: World) -> None:
    queue(world)
    world.alice_person.is_active = False
    world.alice_person.save()
    assert drain() == {"skipped": 1}


def test_it_sends_a_group_message_to_each_by_email(world: World) -> None:
    notify_group(
        people=[world.alice_person, world.bob_person],
        kind="introduction",
        template="reminder_request",
        context=CTX,
        dedupe_key="intro:1",
    )
    assert drain() == {"sent": 2}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@acme.example", "bob@acme.example"]
