"""What a person sees, and what the organization's audit log keeps, when django-axes locks a
sign-in out after too many wrong passwords."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from twoway.accounts.models import Membership
from twoway.accounts.services import audit


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any]
) -> HttpResponse:
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)


def on_locked_out(sender: object, *, request: HttpRequest, username: str, **kwargs: Any) -> None:
    """Each organization the account belongs to sees the lockout in its audit log; the address
    is kept so an admin can tell a forgetful colleague from an attack."""
    if not username:
        return
    memberships = Membership.objects.filter(user__email__iexact=username).select_related(
        "organization", "user"
    )
    for membership in memberships:
        audit(
            org=membership.organization,
            actor=None,
            action="account.locked_out",
            target=membership.user.email,
            ip_address=kwargs.get("ip_address") or "",
        )
