"""allauth, told to run only the OpenID Connect handshake for Twoway.

allauth normally keeps one `SocialApp` row per identity provider and signs people up itself.
Here every organization brings its own provider, kept in `SsoConnection` with its secret
encrypted, so `list_apps` builds the apps from those rows; and once allauth has checked the
provider's answer (state, PKCE, code exchange, ID token issuer, audience and expiry), Twoway
decides who this is and signs them in, in `pre_social_login`, before allauth's own sign-up
could run.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.contrib.auth import login
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from twoway.accounts.access import SSO_SESSION_KEY
from twoway.integrations.sso.models import SsoConnection
from twoway.integrations.sso.selectors import sso_connection_by_provider_id
from twoway.integrations.sso.services import SsoRefusal, sso_connection_secret, sso_sign_in

PROVIDER = "openid_connect"
log = logging.getLogger(__name__)


def social_app_for(connection: SsoConnection) -> SocialApp:
    """An unsaved allauth app for one organization's connection."""
    return SocialApp(
        provider=PROVIDER,
        provider_id=connection.provider_id,
        name=connection.organization.name[:40],
        client_id=connection.client_id,
        secret=sso_connection_secret(connection),
        settings={
            "server_url": connection.issuer,
            "oauth_pkce_enabled": True,
            # Entra ID puts its object id in the ID token only; others answer userinfo too.
            "fetch_userinfo": True,
        },
    )


def verified_claims(sociallogin: SocialLogin) -> dict[str, Any]:
    """The ID token's claims with userinfo's added; both must name the same subject (OIDC
    Core 5.3.2), or an attacker's userinfo could be pasted onto someone else's ID token."""
    data = sociallogin.account.extra_data or {}
    id_token = dict(data.get("id_token") or {})
    userinfo = dict(data.get("userinfo") or {})
    if id_token and userinfo and str(id_token.get("sub")) != str(userinfo.get("sub")):
        raise SsoRefusal("subject_mismatch", "Your identity provider answered inconsistently.")
    return {**userinfo, **id_token}


class SsoAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        if provider is not None and provider != PROVIDER:
            connection = sso_connection_by_provider_id(provider_id=provider)
            connections = [connection] if connection is not None else []
        else:
            connections = list(
                SsoConnection.objects.select_related("organization").filter(enabled=True)
            )
        return [
            social_app_for(c) for c in connections if client_id is None or c.client_id == client_id
        ]

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        connection = sso_connection_by_provider_id(provider_id=sociallogin.account.provider)
        if connection is None:
            raise ImmediateHttpResponse(_refused(request, None, "This sign-in link is off."))
        org = connection.organization
        try:
            claims = verified_claims(sociallogin)
            user = sso_sign_in(connection=connection, claims=claims)
        except SsoRefusal as refusal:
            raise ImmediateHttpResponse(_refused(request, org.name, refusal.message)) from None
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SSO_SESSION_KEY] = [org.pk]
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
