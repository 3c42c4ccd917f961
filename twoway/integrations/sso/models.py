from __future__ import annotations

from django.db import models
from django.utils import timezone

from twoway.accounts.models import Organization


class IdClaim(models.TextChoices):
    SUB = "sub", "sub (Okta, Google, OneLogin and most providers)"
    OID = "oid", "oid (Microsoft Entra ID's object id)"


class SsoConnection(models.Model):
    """One organization's OpenID Connect identity provider.

    allauth's `SocialApp` for the organization is built from this row on each request (see
    `adapter.SsoAdapter.list_apps`), so the client secret never leaves this table unencrypted.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="sso_connection"
    )
    # Part of the redirect URI registered at the identity provider: fixed when the connection
    # is made, so renaming the organization never breaks sign-in.
    provider_id = models.SlugField(max_length=60, unique=True)
    issuer = models.URLField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField(blank=True)
    id_claim = models.CharField(max_length=8, choices=IdClaim.choices, default=IdClaim.SUB)
    link_by_email = models.BooleanField(default=False)
    jit_for_allowed_domains = models.BooleanField(default=False)
    enabled = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SSO for {self.organization}"

    @property
    def domains(self) -> list[str]:
        return sorted(d.domain for d in self.allowed_domains.all())


class SsoDomain(models.Model):
    """An email domain whose people this organization's SSO may admit (and sign-in routes by).

    A domain belongs to one organization at most, so "sign in with your work email" has one
    answer.
    """

    connection = models.ForeignKey(
        SsoConnection, on_delete=models.CASCADE, related_name="allowed_domains"
    )
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
