from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from twoway.notifications.models import (
    JobTick,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
    OutboxStatus,
)
from twoway.notifications.services import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = [
        "id",
        "due_at",
        "organization",
        "recipient",
        "kind",
        "channel",
        "status",
        "attempts",
        "short_error",
        "sent_at",
    ]
    list_filter = ["status", "channel", "kind", "organization"]
    search_fields = ["dedupe_key", "recipient__email", "recipient_email", "last_error"]
    raw_id_fields = ["recipient"]
    date_hierarchy = "due_at"
    # The context may hold what people wrote (a request's note): operators see the envelope.
    exclude = ["context", "attachments"]
    readonly_fields = [
        "organization",
        "recipient",
        "recipient_email",
        "kind",
        "channel",
        "template",
        "dedupe_key",
        "status",
        "attempts",
        "claimed_until",
        "claim_token",
        "last_error",
        "failed_permanently",
        "skip_reason",
        "sent_at",
        "created",
    ]
    actions = ["retry"]

    @admin.display(description="error")
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.last_error[:80]

    @admin.action(description="Retry the selected messages now")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = 0
        for message in queryset.exclude(status=OutboxStatus.SENT):
            outbox_retry(message=message, actor=request.user)  # type: ignore[arg-type]
            count += 1
        self.message_user(request, f"{count} message(s) queued again.")


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin[NotificationSettings]):
    list_display = ["person", "quiet_start", "quiet_end", "paused_until", "weekly_digest"]
    raw_id_fields = ["person"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin[NotificationPreference]):
    list_display = ["person", "kind", "channel", "updated"]
    list_filter = ["kind", "channel"]
    raw_id_fields = ["person"]


@admin.register(JobTick)
class JobTickAdmin(admin.ModelAdmin[JobTick]):
    list_display = ["job", "tick", "worker", "finished", "created_messages", "error"]
    list_filter = ["job"]
