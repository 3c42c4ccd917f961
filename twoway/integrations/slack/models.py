"""What Slack needs remembered: the organization's connected workspace (its bot token
encrypted) and which Slack user each person is.

The tables kept the names they had when these models lived in notifications (moved with
SeparateDatabaseAndState, no data touched).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.people.models import Person


class SlackWorkspace(models.Model):
    """An organization's connected Slack workspace; the bot token is stored encrypted."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="slack_workspace"
    )
    team_id = models.CharField(max_length=40, unique=True)
    team_name = models.CharField(max_length=200, blank=True)
    bot_user_id = models.CharField(max_length=40, blank=True)
    bot_token_encrypted = models.TextField()
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    installed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "notifications_slackworkspace"

    def __str__(self) -> str:
        return f"Slack {self.team_name or self.team_id}"

    @property
    def bot_token(self) -> str:
        from twoway.lib.crypto import decrypt

        return decrypt(self.bot_token_encrypted)

    def set_bot_token(self, token: str) -> None:
        from twoway.lib.crypto import encrypt

        self.bot_token_encrypted = encrypt(token)


class SlackIdentity(models.Model):
    """A person linked to their Slack user (found by email through users.lookupByEmail)."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="slack_identity")
    workspace = models.ForeignKey(
        SlackWorkspace, on_delete=models.CASCADE, related_name="identities"
    )
    slack_user_id = models.CharField(max_length=40)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "notifications_slackidentity"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "slack_user_id"], name="one_person_per_slack_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} = {self.slack_user_id}"
