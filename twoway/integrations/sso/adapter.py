"""allauth, told to run only the OpenID Connect or SAML handshake for Twoway.

allauth normally keeps one `SocialApp` row per identity provider and signs people up itself.
Here every organization brings its own provider, kept in `SsoConnection` with its secret
encrypted, so `list_apps` builds the apps from those rows; and once allauth has checked the
provider's answer (OIDC: state, PKCE, code exchange, ID token issuer, audience and expiry;
SAML: the assertion's signature, audience, recipient, validity and InResponseTo), Twoway
decides who this is and signs them in, in `pre_social_login`, before allauth's own sign-up
could run.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from twoway.accounts.access import SSO_SESSION_KEY
from twoway.integrations.sso.models import IdClaim, Protocol, SsoConnection
from twoway.integrations.sso.selectors import sso_connection_by_provider_id
from twoway.integrations.sso.services import SsoRefusal, sso_connection_secret, sso_sign_in

OIDC_PROVIDER = "openid_connect"
SAML_PROVIDER = "saml"
log = logging.getLogger(__name__)

# Where providers put the address and the name in a SAML assertion: the standard LDAP OIDs,
# the Microsoft claim URIs (Entra ID, ADFS) and the plain names Okta and OneLogin default to.
SAML_EMAIL = (
    "urn:oid:0.9.2342.19200300.100.1.3",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "email",
    "Email",
)
SAML_NAME = (
    "http://schemas.microsoft.com/identity/claims/displayname",
    "urn:oid:2.16.840.1.113730.3.1.241",
    "displayName",
    "name",
)
ENTRA_OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def saml_entity_id(provider_id: str) -> str:
    return settings.BASE_URL + reverse("saml_metadata", args=[provider_id])


def social_app_for(connection: SsoConnection) -> SocialApp:
    """An unsaved allauth app for one organization's connection."""
    name = connection.organization.name[:40]
    if connection.protocol == Protocol.SAML:
        return SocialApp(
            provider=SAML_PROVIDER,
            provider_id=connection.provider_id,
            name=name,
            # allauth's SAML views find the app by this, the <organization_slug> of their URLs.
            client_id=connection.provider_id,
            settings={
                "idp": {
                    "entity_id": connection.saml_entity_id,
                    "sso_url": connection.saml_sso_url,
                    "x509cert": connection.saml_certificate,
                },
                # The same entity ID whichever host name the request came in on.
                "sp": {"entity_id": saml_entity_id(connection.provider_id)},
                # No uid mapping means the NameID, which should be the persistent id.
                "attribute_mapping": {
                    "uid": [ENTRA_OBJECT_ID] if connection.id_claim == IdClaim.OID else [],
                    "email": list(SAML_EMAIL),
                },
                "advanced": {
                    "strict": True,
                    "want_assertion_signed": True,
                    "want_attribute_statement": False,
                    "reject_idp_initiated_sso": True,
                },
            },
        )
    return SocialApp(
        provider=OIDC_PROVIDER,
        provider_id=connection.provider_id,
        name=name,
        client_id=connection.client_id,
        secret=sso_connection_secret(connection),
        settings={
            "server_url": connection.issuer,
            "oauth_pkce_enabled": True,
            # OpenID Connect's default client authentication, which Okta, Entra ID, Google and
            # OneLogin all accept; allauth would otherwise pick client_secret_post.
            "token_auth_method": "client_secret_basic",
            # Entra ID puts its object id in the ID token only; others answer userinfo too.
            "fetch_userinfo": True,
        },
    )


def _first(attributes: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        values = attributes.get(name)
        if values:
            return str(values[0] if isinstance(values, list) else values)
    return ""


def verified_claims(connection: SsoConnection, sociallogin: SocialLogin) -> dict[str, Any]:
    """What the provider vouched for, as OpenID Connect claims.

    OIDC: the ID token's claims with userinfo's added; both must name the same subject (OIDC
    Core 5.3.2), or another user's userinfo could be pasted onto an ID token. SAML: allauth
    found the id (NameID, or Entra's objectidentifier) in an assertion whose signature it
    checked; the address in a signed assertion from the company's own provider is its
    directory's, so it counts as verified (still only within the allowed domains).
    """
    data = sociallogin.account.extra_data or {}
    if connection.protocol == Protocol.SAML:
        return {
            connection.id_claim: sociallogin.account.uid,
            "email": _first(data, SAML_EMAIL),
            "email_verified": True,
            "name": _first(data, SAML_NAME),
        }
    id_token = dict(data.get("id_token") or {})
    userinfo = dict(data.get("userinfo") or {})
    if id_token and userinfo and str(id_token.get("sub")) != str(userinfo.get("sub")):
        raise SsoRefusal("subject_mismatch", "Your identity provider answered inconsistently.")
    return {**userinfo, **id_token}


class SsoAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        enabled = SsoConnection.objects.select_related("organization").filter(enabled=True)
        if provider == OIDC_PROVIDER:
            enabled = enabled.filter(protocol=Protocol.OIDC)
        elif provider == SAML_PROVIDER:
            enabled = enabled.filter(protocol=Protocol.SAML)
        elif provider is not None:
            enabled = enabled.filter(provider_id=provider)
        apps = [social_app_for(c) for c in enabled]
        return [app for app in apps if client_id is None or app.client_id == client_id]

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        connection = sso_connection_by_provider_id(provider_id=sociallogin.account.provider)
        if connection is None:
            raise ImmediateHttpResponse(_refused(request, None, "This sign-in link is off."))
        org = connection.organization
        try:
            claims = verified_claims(connection, sociallogin)
            user = sso_sign_in(connection=connection, claims=claims)
        except SsoRefusal as refusal:
            raise ImmediateHttpResponse(_refused(request, org.name, refusal.message)) from None
        # login() starts a fresh session when someone else was signed in, so the list only
        # ever holds organizations whose provider vouched for this same person.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        earlier = request.session.get(SSO_SESSION_KEY, [])
        request.session[SSO_SESSION_KEY] = sorted({*earlier, org.pk})
        request.session["org"] = org.slug
        next_url = sociallogin.state.get("next") or ""
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("org_home", kwargs={"org_slug": org.slug})
        raise ImmediateHttpResponse(redirect(next_url))

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        name = provider.app.name if provider is not None and provider.app else None
        log.warning("SSO handshake failed for %s: %s %r", name, error, exception)
        if error == "cancelled":
            message = "Sign-in was cancelled at your identity provider."
        else:
            message = (
                "Your identity provider's answer could not be checked, or it took too long. "
                "Please try again; if it keeps happening, tell your Twoway admin."
            )
        raise ImmediateHttpResponse(_refused(request, name, message, status=400))


def _refused(request: HttpRequest, org_name: str | None, message: str, status: int = 403) -> Any:
    return render(
        request,
        "sso/refused.html",
        {"org_name": org_name, "message": message},
        status=status,
    )
