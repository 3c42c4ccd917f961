from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from twoway.accounts.models import Organization


class Scope(models.TextChoices):
    DIRECTORY_READ = "directory:read", "Read the directory (people, skills)"
    DIRECTORY_WRITE = "directory:write", "Change the directory (create, update, deactivate people)"
    PROGRAMS_READ = "programs:read", "Read programs, enrolments, rounds and partnerships"
    PROGRAMS_WRITE = "programs:write", "Run programs (create, open, enrol, match, end)"
    INSIGHTS_READ = "insights:read", "Read program insights (the suppressed aggregates only)"


class ApiKey(models.Model):
    """A key for one organization's systems, with scopes. Only a prefix and the SHA-256 of the
    whole key are stored; the key itself is shown once."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ApiRequestCount(models.Model):
    """Requests of one key in one minute: the rate limit, shared by every web process."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "minute"], name="one_count_per_key_minute")
        ]

    def __str__(self) -> str:
        return f"{self.key_id} @ {self.minute:%H:%M}: {self.count}"
