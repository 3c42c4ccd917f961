from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from twoway.accounts.models import Organization


class WebhookEndpoint(models.Model):
    """An HTTPS address of one organization's systems and the events it wants. The signing
    secret is stored encrypted (`twoway.lib.crypto`) and shown once, when it is made."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret_encrypted = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.url
