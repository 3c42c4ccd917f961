"""How the rest of Twoway sends anything: `notify()` writes an outbox row; the worker sends it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from twoway.accounts.models import AuditEvent, Organization, User
from twoway.notifications import kinds
from twoway.notifications.models import (
    Channel,
    ChannelChoice,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
    OutboxStatus,
)
from twoway.notifications.transports import SEALED_KEY, reachable_organizations, seal
from twoway.people.models import Person


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str
    mimetype: str


def notify(
    *,
    person: Person | None = None,
    email: str = "",
    organization: Organization | None = None,
    kind: str,
    template: str,
    context: dict[str, Any],
    dedupe_key: str,
    due_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    channel: str | None = None,
    attachments: Sequence[Attachment] = (),
    sealed: dict[str, str] | None = None,
) -> OutboxMessage | None:
    """Queue one message, once: to `person`, or by email to a plain address `email` that is
    nobody's account here (an HR contact, a password reset) in `organization` (if any).

    Call it inside the transaction of the change that causes the message. `kind` must be
    declared in the sending app's kinds.py (twoway/notifications/kinds.py): an unknown kind
    raises UnknownKind. `context` must be JSON-serialisable (it is rendered at send time with
    templates/emails/<template>-subject.txt, -body.txt and -body.html); `sealed` values join it
    at send time but rest encrypted (a reset link, a confidential message). A second call with
    the same `dedupe_key` is a no-op and returns None, so retries and double clicks never double
    a message. A reminder passes `expires_at`: after that moment the worker skips it instead of
    sending it late (after an outage or an upgrade).
    """
    declared = kinds.get(kind)
    if (person is None) == (not email):
        raise ValueError("notify() needs a person or an email address, not both")
    organization_id: int | None
    if person is not None:
        organization_id = person.organization_id
    else:
        organization_id = organization.pk if organization is not None else None
        # A plain address has no Slack identity nor preferences: it is always email.
        channel = Channel.EMAIL
    stored = dict(context)
    if sealed:
        stored[SEALED_KEY] = seal(sealed)
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(
                organization_id=organization_id,
                recipient=person,
                recipient_email="" if person is not None else email,
                kind=kind,
                channel=channel or declared.default_channel,
                template=template,
                context=stored,
                attachments=[
                    {"filename": a.filename, "content": a.content, "mimetype": a.mimetype}
                    for a in attachments
                ],
                dedupe_key=dedupe_key,
                due_at=due_at or timezone.now(),
                expires_at=expires_at,
            )
    except IntegrityError:
        if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


@dataclass(frozen=True)
class Message:
    """One message of `notify_many`: to `person`, with its own context and dedupe key, and, as
    notify()'s, an optional `due_at` (default now) and `expires_at` (a reminder's)."""

    person: Person
    context: dict[str, Any]
    dedupe_key: str
    due_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


# A chunk's dedupe keys are one IN list: a thousand bind parameters, well within PostgreSQL's
# and SQLite's (32,766 since 3.32) limits.
NOTIFY_CHUNK = 1000


def notify_many(*, kind: str, template: str, messages: Sequence[Message]) -> int:
    """`notify()` for many people at once (the introductions of a round being published, a
    reminder job's page of pairs): one SELECT of the keys already queued and one INSERT per
    chunk of NOTIFY_CHUNK messages, however many there are. The contract is notify()'s: call
    it inside the transaction of the change, and a dedupe key already queued is skipped, not
    doubled. Returns how many rows it queued."""
    declared = kinds.get(kind)
    keys = [m.dedupe_key for m in messages]
    if len(set(keys)) != len(keys):
        raise ValueError("notify_many() got the same dedupe key twice")
    created = 0
    for start in range(0, len(messages), NOTIFY_CHUNK):
        chunk = messages[start : start + NOTIFY_CHUNK]
        queued = set(
            OutboxMessage.objects.filter(dedupe_key__in=[m.dedupe_key for m in chunk]).values_list(
                "dedupe_key", flat=True
            )
        )
        now = timezone.now()
        rows = [
            OutboxMessage(
                organization_id=m.person.organization_id,
                recipient=m.person,
                recipient_email="",
                kind=kind,
                channel=declared.default_channel,
                template=template,
                context=dict(m.context),
                attachments=[],
                dedupe_key=m.dedupe_key,
                due_at=m.due_at or now,
                expires_at=m.expires_at,
            )
            for m in chunk
            if m.dedupe_key not in queued
        ]
        # A row queued by someone else since the SELECT is skipped as notify() would skip it.
        OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)
    return created


def notify_group(
    *,
    people: Sequence[Person],
    kind: str,
    template: str,
    context: dict[str, Any],
    dedupe_key: str,
    due_at: dt.datetime | None = None,
    attachments: Sequence[Attachment] = (),
) -> list[OutboxMessage]:
    """One message to each of `people` about the same thing (an introduction to a new pair).

    Each person gets their own row (dedupe key `<dedupe_key>:<person id>`), so their own channel,
    quiet hours and pause apply. On Slack the group is introduced once, in a group DM of all of
    them: the row of the lowest person id among those who chose Slack posts it and the others'
    Slack rows are marked skipped (see worker.send_one), so nobody reads it twice.
    """
    ids = sorted(p.pk for p in people)
    created = []
    for person in people:
        row = notify(
            person=person,
            kind=kind,
            template=template,
            context={**context, "group": ids},
            dedupe_key=f"{dedupe_key}:{person.pk}",
            due_at=due_at,
            attachments=attachments,
        )
        if row is not None:
            created.append(row)
    return created


# --- preferences -----------------------------------------------------------------------------


def settings_for(person: Person) -> NotificationSettings:
    found = NotificationSettings.objects.filter(person=person).first()
    return found or NotificationSettings(person=person)


def preferences_for(person: Person) -> dict[str, str]:
    return dict(NotificationPreference.objects.filter(person=person).values_list("kind", "channel"))


def channel_for(kind: str, prefs: dict[str, str], fallback: str) -> str:
    """The channel a person chose for `kind`, else `fallback`. A choice of "off" for a kind that
    cannot be turned off (left by an older version, when an unsubscribe link could do that)
    counts as no choice: calendar updates keep coming."""
    chosen = prefs.get(kind)
    if chosen is None or (chosen == ChannelChoice.OFF and not kinds.can_turn_off(kind)):
        return fallback
    return chosen


def preference_set(*, person: Person, kind: str, channel: str) -> None:
    declared = kinds.get(kind)
    if channel not in declared.choices():
        raise ValueError(f"{declared.label} cannot be sent by {channel!r}")
    NotificationPreference.objects.update_or_create(
        person=person, kind=kind, defaults={"channel": channel}
    )


@dataclass(frozen=True)
class PreferencesChange:
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    paused_until: dt.datetime | None
    weekly_digest: bool
    reminder_offsets: list[int]
    channels: dict[str, str]


@transaction.atomic
def notification_preferences_save(*, person: Person, change: PreferencesChange) -> None:
    """A person's own notification settings, all at once (the preferences page)."""
    if bool(change.quiet_start) != bool(change.quiet_end):
        raise ValueError("Give both ends of quiet hours, or neither.")
    row = settings_for(person)
    row.quiet_start = change.quiet_start
    row.quiet_end = change.quiet_end
    row.paused_until = change.paused_until
    row.weekly_digest = change.weekly_digest
    row.reminder_offsets = sorted(set(change.reminder_offsets), reverse=True)
    row.save()
    for key, channel in change.channels.items():
        preference_set(person=person, kind=key, channel=channel)


def preference_unsubscribe(*, person: Person, kind: str) -> bool:
    """One-click unsubscribe from one kind. Returns False, changing nothing, for a kind that
    cannot be turned off (a calendar invite): the page then says so and offers the settings."""
    declared = kinds.find(kind)
    if declared is None or not declared.can_turn_off:
        return False
    preference_set(person=person, kind=kind, channel=ChannelChoice.OFF)
    return True


def resolve_channel(message: OutboxMessage, prefs: dict[str, str] | None = None) -> str:
    """The channel a message goes out on now: the person's choice for its kind, else the row's.

    Slack falls back to email when the organization has no workspace connected.
    """
    if message.recipient is None or message.organization_id is None:
        return Channel.EMAIL
    if prefs is None:
        prefs = preferences_for(message.recipient)
    channel = channel_for(message.kind, prefs, message.channel)
    if channel == Channel.SLACK and not reachable_organizations(
        Channel.SLACK, [message.organization_id]
    ):
        return Channel.EMAIL
    return channel


# --- one-click unsubscribe -------------------------------------------------------------------

UNSUBSCRIBE_SALT = "twoway.notifications.unsubscribe"


def unsubscribe_token(*, person: Person, kind: str) -> str:
    return signing.dumps({"p": person.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[Person, str] | None:
    """The person and kind a token names, or None when it is forged or the person is gone.

    Tokens do not expire: an unsubscribe link in a year-old email must still work.
    """
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        person = Person.objects.get(pk=int(data["p"]))
        kind = str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, Person.DoesNotExist):
        return None
    return person, kind


def unsubscribe_url(*, person: Person, kind: str) -> str:
    path = reverse(
        "notifications_unsubscribe", kwargs={"token": unsubscribe_token(person=person, kind=kind)}
    )
    return f"{settings.BASE_URL}{path}"


# --- admin actions ---------------------------------------------------------------------------


@transaction.atomic
def outbox_retry(*, message: OutboxMessage, actor: User | None) -> None:
    """Send a failed (or skipped) message again now; the attempt count restarts."""
    OutboxMessage.objects.filter(pk=message.pk).exclude(status=OutboxStatus.SENT).update(
        status=OutboxStatus.PENDING,
        failed_permanently=False,
        skip_reason="",
        due_at=timezone.now(),
        claimed_until=None,
        claim_token="",
        attempts=0,
    )
    if message.organization_id is not None:
        # A message of no organization (a password reset) is retried by operators only.
        AuditEvent.objects.create(
            organization_id=message.organization_id,
            actor=actor,
            action="outbox.retry",
            target=f"message {message.pk}",
            details={"kind": message.kind, "last_error": message.last_error[:500]},
        )


def group_ids(message: OutboxMessage) -> list[int]:
    """Person ids a message is addressed to together (a group DM on Slack), or [].

    The sender names the group in the context (`group`: the person ids), as `notify_group` and
    the introduction of a new pair do; the outbox itself knows nothing of partnerships.
    """
    group = message.context.get("group")
    if isinstance(group, list):
        return sorted(pk for pk in group if isinstance(pk, int))
    return []
