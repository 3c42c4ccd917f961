"""Writes for the Slack integration: connecting and disconnecting an organization's workspace.

Both are org-admin actions and leave an audit row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from twoway.accounts.models import AuditEvent, Organization, User
from twoway.integrations.slack.models import SlackWorkspace


class WorkspaceTaken(ValidationError):
    """The workspace is connected to another organization already.

    One workspace serves one organization: a button pressed in Slack names only the workspace
    and the user, and must lead to exactly one organization's person and check-in.
    """


@transaction.atomic
def slack_workspace_connect(
    *,
    organization: Organization,
    actor: User,
    team_id: str,
    team_name: str,
    bot_user_id: str,
    bot_token: str,
) -> SlackWorkspace:
    """Connect (or reconnect) the organization's workspace with a fresh bot token."""
    if not team_id or not bot_token:
        raise ValidationError("Slack did not say which workspace was connected.")
    taken = SlackWorkspace.objects.filter(team_id=team_id).exclude(organization=organization)
    if taken.exists():
        raise WorkspaceTaken(
            "This Slack workspace is already connected to another organization in Twoway. "
            "An admin there has to disconnect it first."
        )
    workspace = SlackWorkspace.objects.select_for_update().filter(
        organization=organization
    ).first() or SlackWorkspace(organization=organization)
    if workspace.pk and workspace.team_id != team_id:
        # Another workspace: the old links to Slack users mean nothing there.
        workspace.identities.all().delete()
    workspace.team_id = team_id
    workspace.team_name = team_name
    workspace.bot_user_id = bot_user_id
    workspace.set_bot_token(bot_token)
    workspace.installed_by = actor
    workspace.installed_at = timezone.now()
    try:
        # Savepoint: two organizations connecting the same workspace at the same moment both
        # pass the check above; the unique team id lets one through.
        with transaction.atomic():
            workspace.save()
    except IntegrityError:
        raise WorkspaceTaken(
            "This Slack workspace is already connected to another organization in Twoway. "
            "An admin there has to disconnect it first."
        ) from None
    AuditEvent.objects.create(
        organization=organization,
        actor=actor,
        action="slack.connect",
        target=team_name or team_id,
        details={"team_id": team_id},
    )
    return workspace


@transaction.atomic
def slack_workspace_disconnect(*, organization: Organization, actor: User) -> bool:
    """Forget the workspace and its bot token; messages go by email again. False when there
    was nothing to disconnect."""
    workspace = SlackWorkspace.objects.filter(organization=organization).first()
    if workspace is None:
        return False
    team = workspace.team_name or workspace.team_id
    workspace.delete()
    AuditEvent.objects.create(
        organization=organization,
        actor=actor,
        action="slack.disconnect",
        target=team,
        details={"team_id": workspace.team_id},
    )
    return True
