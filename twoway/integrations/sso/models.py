from __future__ import annotations

from django.db import models
from django.utils import timezone

from twoway.accounts.models import Organization


class Protocol(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml", "SAML 2.0"


class IdClaim(models.TextChoices):
    SUB = "sub", "sub, or with SAML the NameID (Okta, Google, OneLogin and most providers)"
    OID = "oid", "oid, or with SAML the objectidentifier claim (Microsoft Entra ID's object id)"


class SsoConnection(models.Model):
    """One organization's identity provider, spoken to with OpenID Connect or SAML 2.0.

    allauth's `SocialApp` for the organization is built from this row on each request (see
    `adapter.SsoAdapter.list_apps`), so the client secret never leaves this table unencrypted.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="sso_connection"
    )
    # Part of the redirect URI registered at the identity provider: fixed when the connection
    # is made, so renaming the organization never breaks sign-in.
    provider_id = models.SlugField(max_length=60, unique=True)
    protocol = models.CharField(max_length=4, choices=Protocol.choices, default=Protocol.OIDC)
    # OpenID Connect
    issuer = models.URLField(max_length=500, blank=True)
    client_id = models.CharField(max_length=255, blank=True)
    client_secret_encrypted = models.TextField(blank=True)
    # SAML 2.0: the identity provider's entity id, its SSO URL (HTTP-Redirect binding) and the
    # certificate its assertions are signed with (base64, without the PEM armour).
    saml_entity_id = models.CharField(max_length=500, blank=True)
    saml_sso_url = models.URLField(max_length=500, blank=True)
    saml_certificate = models.TextField(blank=True)
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
