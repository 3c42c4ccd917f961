"""What the directory keeps besides people: the HR files an admin previewed and applied, and the
invitations that let imported people sign in for the first time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.people.models import Person


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    APPLIED = "applied", "Applied"
    SUPERSEDED = "superseded", "Superseded by a newer preview"


class DirectoryImport(models.Model):
    """One uploaded HR file: previewed first, applied only when an admin confirms.

    The file's text is kept until it is applied (or a newer preview replaces it), so what is
    applied is exactly what was previewed; afterwards only its SHA-256 and the counts remain,
    because the file is personal data the organization already holds elsewhere.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="directory_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255, blank=True)
    content = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64)
    deactivate_missing = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    summary = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created"], name="directory_import_recent")
        ]

    def __str__(self) -> str:
        return f"{self.filename or 'import'} ({self.get_status_display()})"


class Invitation(models.Model):
    """The one invitation of an imported person to sign in; resending gives it a new token.

    Only a hash of the token is stored: the link in the email is the only copy of the secret.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="invitation")
    email = models.EmailField(help_text="Where the last invitation went.")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    send_count = models.PositiveSmallIntegerField(default=1)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "accepted_at"], name="invitation_org_state")
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} ({self.state})"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
