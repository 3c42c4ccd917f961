from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin

from twoway.integrations.sso.models import SsoConnection, SsoDomain

# allauth's own tables stay empty here: each organization's provider lives in SsoConnection
# (set by its admins on their settings page) and people are linked through Person.external_id.
# Showing the empty tables would only invite operators to configure sign-in in the wrong place.
for model in (SocialApp, SocialAccount, SocialToken, EmailAddress):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class SsoDomainInline(admin.TabularInline[SsoDomain, SsoConnection]):
    model = SsoDomain
    extra = 0


@admin.register(SsoConnection)
class SsoConnectionAdmin(admin.ModelAdmin[SsoConnection]):
    """For operators helping a locked-out organization: turn a connection off, or read it."""

    list_display = ("organization", "provider_id", "issuer", "enabled")
    list_filter = ("enabled",)
    fields = (
        "organization",
        "provider_id",
        "issuer",
        "client_id",
        "id_claim",
        "link_by_email",
        "jit_for_allowed_domains",
        "enabled",
    )
    readonly_fields = ("organization", "provider_id")
    inlines = [SsoDomainInline]

    def has_add_permission(self, request: object) -> bool:
        return False
