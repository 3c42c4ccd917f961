from django.contrib import admin
from django.http import HttpRequest

from twoway.directory.models import DirectoryImport, Invitation


@admin.register(DirectoryImport)
class DirectoryImportAdmin(admin.ModelAdmin[DirectoryImport]):
    """Read-only: imports are made and applied from the org admin's pages or the command."""

    list_display = ["created", "organization", "filename", "status", "created_by", "applied_at"]
    list_filter = ["status", "organization"]
    exclude = ["content"]  # the HR file itself stays out of the operators' view

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ["email", "organization", "state", "send_count", "sent_at", "expires_at"]
    list_filter = ["organization"]
    search_fields = ["email", "person__name"]
    readonly_fields = ["token_hash", "person", "organization", "invited_by"]
