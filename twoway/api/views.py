"""The org admins' page for API keys: make one (shown once), see when each was used, revoke."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role, User
from twoway.api.keys import api_key_create, api_key_revoke
from twoway.api.models import ApiKey, Scope
from twoway.lib.errors import Invalid


@org_view(Role.ORG_ADMIN)
def api_keys(request: OrgRequest) -> HttpResponse:
    new_secret = None
    error = None
    if request.method == "POST":
        user: User = request.user  # type: ignore[assignment]
        expires_at = None
        raw = request.POST.get("expires_on", "").strip()
        try:
            if raw:
                day = dt.date.fromisoformat(raw)
                expires_at = dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.UTC)
            made = api_key_create(
                organization=request.org,
                name=request.POST.get("name", ""),
                scopes=request.POST.getlist("scopes"),
                expires_at=expires_at,
                actor=user,
            )
        except ValueError:
            error = "The expiry is not a date (YYYY-MM-DD)."
        except Invalid as exc:
            error = str(exc)
        else:
            new_secret = made.secret
            messages.success(request, "Key made. Copy it now: it will not be shown again.")
    return render(
        request,
        "api/keys.html",
        {
            "keys": ApiKey.objects.filter(organization=request.org),
            "scopes": Scope.choices,
            "new_secret": new_secret,
            "error": error,
            "now": timezone.now(),
            "base_url": request.build_absolute_uri(reverse("api-v1:api-root")),
        },
        status=400 if error else 200,
    )


@require_POST
@org_view(Role.ORG_ADMIN)
def api_key_revoke_view(request: OrgRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=key_id, organization=request.org)
    user: User = request.user  # type: ignore[assignment]
    api_key_revoke(key=key, actor=user)
    messages.success(request, f"“{key.name}” no longer works.")
    return redirect("api_keys", org_slug=request.org.slug)
