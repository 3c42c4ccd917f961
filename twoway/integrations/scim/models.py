from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.people.models import Person


class ScimToken(models.Model):
    """A bearer token an identity provider uses to provision one organization.

    Only a prefix (to find the row) and the SHA-256 of the whole token are stored: the token is
    long and random, so a fast hash is as safe as a slow one and costs nothing per request.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="scim_tokens"
    )
    label = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScimIdentity(models.Model):
    """What SCIM alone says of a person: the provider's userName (often, not always, the work
    email), and whether the provider DELETEd them — they left (history stays, for retention
    analytics) and SCIM no longer shows them (RFC 7644 §3.6: a deleted resource is 404)."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="scim")
    user_name = models.CharField(max_length=255, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"SCIM identity of person {self.person_id}"


class ScimGroup(models.Model):
    """A group the identity provider pushes (a department list, an 'onboarding cohort'),
    with its members, so that program managers can use it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="scim_groups"
    )
    display_name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(Person, blank=True, related_name="scim_groups")
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "display_name"], name="scim_group_name_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.display_name
