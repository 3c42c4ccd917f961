from __future__ import annotations

import re
from typing import Any

from cryptography import x509
from django import forms

from twoway.accounts.models import Organization
from twoway.integrations.sso.discovery import (
    WELL_KNOWN,
    DiscoveryError,
    fetch_discovery,
    normalise_issuer,
)
from twoway.integrations.sso.models import IdClaim, Protocol, SsoConnection
from twoway.integrations.sso.selectors import domains_claimed_elsewhere

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def certificate_body(text: str) -> str:
    """An X.509 certificate pasted as PEM or bare base64, as the base64 body; ValueError if it
    is not one."""
    lines = [line.strip() for line in text.strip().splitlines()]
    body = "".join(line for line in lines if line and "CERTIFICATE" not in line)
    body = "".join(body.split())
    pem = "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"
    x509.load_pem_x509_certificate(pem.encode())
    return body


class SsoSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        required=False,
        label="Allow sign-in with this identity provider",
    )
    protocol = forms.ChoiceField(choices=Protocol.choices, label="Protocol")
    issuer = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="OpenID Connect: issuer or discovery URL",
        help_text="For example https://acme.okta.com, "
        "https://login.microsoftonline.com/TENANT-ID/v2.0 or https://accounts.google.com.",
    )
    client_id = forms.CharField(required=False, max_length=255, label="OpenID Connect: client ID")
    client_secret = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        label="OpenID Connect: client secret",
        help_text="Stored encrypted. Leave empty to keep the one already saved.",
    )
    saml_entity_id = forms.CharField(
        required=False,
        max_length=500,
        label="SAML: identity provider's entity ID (issuer)",
    )
    saml_sso_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="SAML: identity provider's single sign-on URL",
        help_text="The HTTP-Redirect binding's URL.",
    )
    saml_certificate = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="SAML: signing certificate",
        help_text="The X.509 certificate (PEM) the provider signs its assertions with.",
    )
    id_claim = forms.ChoiceField(
        choices=IdClaim.choices,
        label="Claim holding the immutable user id",
        help_text="Matched against each person's external id in the directory.",
    )
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Allowed email domains",
        help_text="One per line, e.g. acme.com. People type their work email on the sign-in "
        "page to find this sign-in.",
    )
    link_by_email = forms.BooleanField(
        required=False,
        label="Link people already in the directory by verified email",
        help_text="For people whose external id is not in the directory yet (e.g. a CSV "
        "import). The provider's id is then recorded for next time.",
    )
    jit_for_allowed_domains = forms.BooleanField(
        required=False,
        label="Let people of the allowed domains in even if they are not in the directory",
        help_text="Their directory record is made at their first sign-in. Otherwise only "
        "people in the directory may sign in.",
    )
    password_sign_in_off = forms.BooleanField(
        required=False,
        label="Turn off password sign-in for this organization",
        help_text="Members then sign in through this identity provider only. Operators keep "
        "the Django admin.",
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        connection: SsoConnection | None,
        signed_in_through_sso: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.connection = connection
        self.signed_in_through_sso = signed_in_through_sso
        self.fields["password_sign_in_off"].initial = not organization.password_sign_in
        if connection is not None:
            for name in ("enabled", "protocol", "issuer", "client_id", "id_claim"):
                self.fields[name].initial = getattr(connection, name)
            for name in ("saml_entity_id", "saml_sso_url", "saml_certificate"):
                self.fields[name].initial = getattr(connection, name)
            self.fields["link_by_email"].initial = connection.link_by_email
            self.fields["jit_for_allowed_domains"].initial = connection.jit_for_allowed_domains
            self.fields["domains"].initial = "\n".join(connection.domains)
        else:
            self.fields["client_secret"].help_text = "Stored encrypted."

    def clean_issuer(self) -> str:
        return normalise_issuer(self.cleaned_data["issuer"])

    def clean_domains(self) -> list[str]:
        raw = re.split(r"[\s,;]+", self.cleaned_data["domains"].lower())
        domains = sorted({d.strip().lstrip("@") for d in raw if d.strip()})
        if not domains:
            raise forms.ValidationError("Give at least one email domain.")
        bad = [d for d in domains if not DOMAIN_RE.match(d)]
        if bad:
            raise forms.ValidationError(f"Not an email domain: {', '.join(bad)}.")
        taken = domains_claimed_elsewhere(organization=self.organization, domains=domains)
        if taken:
            raise forms.ValidationError(
                f"Already used by another organization's sign-in: {', '.join(taken)}."
            )
        return domains

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("protocol") == Protocol.SAML:
            self._clean_saml(data)
        else:
            self._clean_oidc(data)
        if data.get("password_sign_in_off"):
            if not data.get("enabled"):
                self.add_error(
                    "password_sign_in_off",
                    "Password sign-in can only be turned off while single sign-on is allowed.",
                )
            elif not self.signed_in_through_sso:
                self.add_error(
                    "password_sign_in_off",
                    "Sign in through single sign-on yourself first (sign out, then use "
                    "“Sign in with your company's SSO”), so no one is locked out by a "
                    "mistake in these settings.",
                )
        oidc = data.get("protocol") == Protocol.OIDC
        if oidc and data.get("enabled") and data.get("issuer") and not self.errors:
            try:
                document = fetch_discovery(data["issuer"])
            except DiscoveryError as exc:
                self.add_error("issuer", str(exc))
            else:
                # Every ID token is checked against the document's issuer: a different address
                # (Entra's /common/, a proxy's) would refuse everyone at sign-in instead of here.
                named = normalise_issuer(str(document["issuer"]))
                if WELL_KNOWN not in data["issuer"] and named != data["issuer"]:
                    self.add_error(
                        "issuer",
                        f"The provider calls itself {named}: enter that address "
                        "(for Entra ID, with your tenant ID rather than /common/).",
                    )
        return data

    def _clean_oidc(self, data: dict[str, Any]) -> None:
        if not data.get("issuer") and "issuer" not in self.errors:
            self.add_error("issuer", "Enter your provider's issuer URL.")
        if not data.get("client_id"):
            self.add_error("client_id", "Enter the client ID your provider gave you.")
        has_secret = bool(data.get("client_secret")) or bool(
            self.connection is not None and self.connection.client_secret_encrypted
        )
        if not has_secret:
            self.add_error("client_secret", "Enter the client secret your provider gave you.")

    def _clean_saml(self, data: dict[str, Any]) -> None:
        if not data.get("saml_entity_id"):
            self.add_error("saml_entity_id", "Enter your provider's entity ID.")
        if not data.get("saml_sso_url") and "saml_sso_url" not in self.errors:
            self.add_error("saml_sso_url", "Enter your provider's single sign-on URL.")
        try:
            data["saml_certificate"] = certificate_body(data.get("saml_certificate", ""))
        except ValueError:
            self.add_error(
                "saml_certificate", "Paste the provider's signing certificate (PEM) here."
            )
