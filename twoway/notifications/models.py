"""The outbox: every message Twoway sends is first a row here, written in the same transaction as
the change that causes it, so a crash or a retry never loses or doubles a message."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.people.models import Person


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"


class OutboxMessage(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="outbox")
    kind = models.CharField(max_length=60, help_text="What the message is about, e.g. 'intro'.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text="[{filename, content, mimetype}] with text content"
    )
    dedupe_key = models.CharField(max_length=200)
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failed_permanently = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_key_unique"),
        ]
        indexes = [
            # Only unsent rows are ever scanned by the worker: keep that index small.
            models.Index(
                fields=["due_at"],
                name="outbox_unsent_due",
                condition=Q(sent_at__isnull=True, failed_permanently=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.dedupe_key})"
