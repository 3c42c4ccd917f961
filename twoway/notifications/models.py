"""The outbox: every message Twoway sends is first a row here, written in the same transaction as
the change that causes it, so a crash or a retry never loses or doubles a message.

Also here: what each person chose (channel per kind, quiet hours, pause), and the scheduler's
tick rows that keep two workers from running the same job twice. What an outside system needs
to remember (a Slack workspace) lives in its package under twoway/integrations/.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.people.models import Person


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class OutboxMessage(models.Model):
    """One message to a person (their channel, quiet hours and preferences apply) or to a plain
    email address that is nobody's account here (an HR contact; a password reset, which belongs
    to no organization)."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    recipient_email = models.EmailField(
        blank=True, help_text="The address, when the message goes to no person (email only)."
    )
    kind = models.CharField(max_length=60, help_text="What the message is about, e.g. 'intro'.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text="[{filename, content, mimetype}] with text content"
    )
    dedupe_key = models.CharField(max_length=200)
    due_at = models.DateTimeField(default=timezone.now)
    # A reminder past this moment is skipped, not sent late (after an outage or an upgrade).
    expires_at = models.DateTimeField(null=True, blank=True)
    # `status` is the one field the worker filters on; sent_at / failed_permanently stay in step
    # with it for the code that already reads them.
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=80, blank=True)
    last_error = models.TextField(blank=True)
    failed_permanently = models.BooleanField(default=False)
    skip_reason = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_key_unique"),
            models.CheckConstraint(
                # A person, a plain address, or (a webhook) a machine the context names.
                condition=(
                    Q(recipient__isnull=False, recipient_email="")
                    | (Q(recipient__isnull=True) & ~Q(recipient_email=""))
                    | Q(recipient__isnull=True, recipient_email="", channel="webhook")
                ),
                name="outbox_person_or_address",
            ),
        ]
        indexes = [
            # Only pending rows are ever scanned by the worker: keep that index small.
            models.Index(
                fields=["due_at", "id"],
                name="outbox_pending_due",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["organization", "status", "due_at"], name="outbox_org_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id or 'an address'} ({self.dedupe_key})"

    @property
    def message_id(self) -> str:
        """A Message-ID derived from the dedupe key: every attempt of one message carries the same
        id, so a receiver that sees the rare retry after a crash can tell it is a duplicate."""
        import hashlib

        digest = hashlib.sha256(self.dedupe_key.encode()).hexdigest()[:32]
        domain = settings.BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return f"<{digest}@{domain or 'twoway'}>"


class ChannelChoice(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    OFF = "off", "Off"


DEFAULT_REMINDER_OFFSETS = [24 * 60, 15]
# What the preferences page offers for check-in reminders, in minutes before.
REMINDER_OFFSET_CHOICES = [2 * 24 * 60, 24 * 60, 60, 15]


def default_reminder_offsets() -> list[int]:
    return list(DEFAULT_REMINDER_OFFSETS)


class NotificationSettings(models.Model):
    """One person's quiet hours, pause, digest opt-in and check-in reminder times.

    Quiet hours are in the person's own time zone (Person.time_zone); a message due inside them
    is postponed to their end, never dropped. A pause postpones everything until it ends.
    """

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="notification_settings"
    )
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    weekly_digest = models.BooleanField(default=False)
    reminder_offsets = models.JSONField(
        default=default_reminder_offsets,
        blank=True,
        help_text="Minutes before a check-in to remind, e.g. [1440, 15].",
    )
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Notification settings of {self.person_id}"

    def quiet_until(self, now: dt.datetime, tz_name: str) -> dt.datetime | None:
        """When quiet hours that cover `now` end (aware), or None when `now` is not quiet."""
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return None
        try:
            tz = zoneinfo.ZoneInfo(tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = zoneinfo.ZoneInfo("UTC")
        local = now.astimezone(tz)
        t = local.time().replace(tzinfo=None)
        start, end = self.quiet_start, self.quiet_end
        if start < end:
            quiet = start <= t < end
            end_day = local.date()
        else:  # wraps midnight, e.g. 22:00-07:00
            quiet = t >= start or t < end
            end_day = local.date() + dt.timedelta(days=1) if t >= start else local.date()
        if not quiet:
            return None
        # Wall-clock end in the person's zone; fold=0 picks the first of an ambiguous hour.
        return dt.datetime.combine(end_day, end, tzinfo=tz).astimezone(dt.UTC)


class NotificationPreference(models.Model):
    """How `person` wants messages of one `kind`: by email, on Slack, or not at all."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=60)
    channel = models.CharField(max_length=10, choices=ChannelChoice.choices)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}: {self.channel}"


class JobTick(models.Model):
    """One run of a scheduled job for one tick: the unique row is the lock, so when several
    workers wake at the same minute exactly one of them runs the job."""

    job = models.CharField(max_length=60)
    tick = models.DateTimeField()
    worker = models.CharField(max_length=80, blank=True)
    started = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    created_messages = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "tick"], name="one_run_per_tick")]
        ordering = ["-tick"]

    def __str__(self) -> str:
        return f"{self.job} @ {self.tick:%Y-%m-%d %H:%M}"
