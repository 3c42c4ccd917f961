from django.contrib import admin

from twoway.integrations.slack.models import SlackIdentity, SlackWorkspace


@admin.register(SlackWorkspace)
class SlackWorkspaceAdmin(admin.ModelAdmin[SlackWorkspace]):
    list_display = ["organization", "team_name", "team_id", "installed_at"]
    exclude = ["bot_token_encrypted"]
    readonly_fields = ["team_id", "bot_user_id", "installed_by", "installed_at"]


@admin.register(SlackIdentity)
class SlackIdentityAdmin(admin.ModelAdmin[SlackIdentity]):
    list_display = ["person", "workspace", "slack_user_id", "linked_at"]
    raw_id_fields = ["person"]
