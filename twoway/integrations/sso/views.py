from __future__ import annotations

from allauth.socialaccount.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view, signed_in_through_sso
from twoway.accounts.models import AuditEvent, Role, User
from twoway.integrations.sso import selectors
from twoway.integrations.sso.adapter import saml_entity_id
from twoway.integrations.sso.forms import SsoSettingsForm
from twoway.integrations.sso.services import sso_connection_save


def callback_url(provider_id: str) -> str:
    path = reverse("openid_connect_callback", kwargs={"provider_id": provider_id})
    return settings.BASE_URL + path


@org_view(role=Role.ORG_ADMIN)
def sso_settings(request: OrgRequest) -> HttpResponse:
    connection = selectors.sso_connection_of(organization=request.org)
    form = SsoSettingsForm(
        request.POST or None,
        organization=request.org,
        connection=connection,
        signed_in_through_sso=signed_in_through_sso(request, request.org),
    )
    if request.method == "POST" and form.is_valid():
        actor: User = request.user  # type: ignore[assignment]
        data = form.cleaned_data
        sso_connection_save(
            organization=request.org,
            actor=actor,
            values=data,
            client_secret=data["client_secret"],
            domains=data["domains"],
            password_sign_in=not data["password_sign_in_off"],
        )
        messages.success(request, "Single sign-on settings saved.")
        return redirect("sso_settings", org_slug=request.org.slug)
    events = AuditEvent.objects.filter(
        organization=request.org, action__startswith="sso."
    ).select_related("actor")[:20]
    provider_id = connection.provider_id if connection else request.org.slug
    return render(
        request,
        "sso/settings.html",
        {
            "form": form,
            "connection": connection,
            "redirect_uri": callback_url(provider_id),
            "saml_acs_url": settings.BASE_URL + reverse("saml_acs", args=[provider_id]),
            "saml_entity_id": saml_entity_id(provider_id),
            "start_url": settings.BASE_URL + reverse("sso_start", args=[request.org.slug]),
            "events": events,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def sso_find(request: HttpRequest) -> HttpResponse:
    """The sign-in page's "work email" box: on to that domain's organization's sign-in."""
    email = request.POST.get("email", "")
    connection = selectors.sso_connection_for_email(email=email)
    if connection is None:
        domain = selectors.email_domain(email) or "that address"
        messages.error(
            request,
            f"No single sign-on is set up for {domain}. Sign in with your password, or use "
            "the sign-in link your Twoway admin gave you.",
        )
        return redirect("login")
    url = reverse("sso_start", args=[connection.organization.slug])
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        url += "?" + urlencode({"next": next_url})
    return redirect(url)


def sso_start(request: HttpRequest, org_slug: str) -> HttpResponse:
    """ "Sign in with <Org>'s SSO": a page with one button (GET), which starts the handshake
    (POST, so the session's state cannot be planted by another site's link)."""
    connection = selectors.sso_connection_enabled(org_slug=org_slug)
    if connection is None:
        raise Http404
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        provider = get_adapter(request).get_provider(request, connection.provider_id)
        return provider.redirect(request, process="login", next_url=next_url or None)
    return render(
        request,
        "sso/start.html",
        {"sso_org": connection.organization, "next": next_url},
    )
