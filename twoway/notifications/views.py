from __future__ import annotations

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role, User
from twoway.notifications.forms import PreferencesForm
from twoway.notifications.kinds import KINDS, kind_label
from twoway.notifications.models import Channel, OutboxMessage, OutboxStatus
from twoway.notifications.services import (
    outbox_retry,
    preference_set,
    preferences_for,
    read_unsubscribe_token,
    settings_for,
)
from twoway.notifications.transports import reachable_organizations
from twoway.people.selectors import person_for_user

log = logging.getLogger(__name__)


# --- a person's own preferences --------------------------------------------------------------


@org_view()
def preferences(request: OrgRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    person = person_for_user(org=request.org, user=user)
    if person is None:
        return render(request, "notifications/preferences.html", {"form": None})
    row = settings_for(person)
    slack = bool(reachable_organizations(Channel.SLACK, [request.org.pk]))
    form = PreferencesForm(
        request.POST or None, person=person, row=row, prefs=preferences_for(person), slack=slack
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            data = form.cleaned_data
            row.quiet_start = data["quiet_start"]
            row.quiet_end = data["quiet_end"]
            row.paused_until = form.paused_until_moment()
            row.weekly_digest = data["weekly_digest"]
            row.reminder_offsets = sorted(set(data["reminder_offsets"]), reverse=True)
            row.save()
            for key in KINDS:
                preference_set(person=person, kind=key, channel=data[f"kind_{key}"])
        messages.success(request, "Notification settings saved.")
        return redirect("notification_preferences", org_slug=request.org.slug)
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "person": person, "slack": slack},
        status=400 if request.method == "POST" else 200,
    )


# --- the outbox, for org admins --------------------------------------------------------------


@org_view(role=Role.ORG_ADMIN)
def outbox(request: OrgRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    # Messages to people only: a plain address is an HR contact or a password reset, and that
    # someone asked HR for help is not for the organization's admins to see (operators retry
    # those in the Django admin; the worker retries them anyway).
    org_rows = OutboxMessage.objects.filter(organization=request.org, recipient__isnull=False)
    qs = org_rows.select_related("recipient")
    if status in OutboxStatus.values:
        qs = qs.filter(status=status)
    # Newest first for the page; the partial index serves the worker, this one the admin list.
    qs = qs.order_by("-due_at", "-id")
    counts = dict(org_rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/outbox.html",
        {
            "page": page,
            "status": status,
            "statuses": OutboxStatus.choices,
            "counts": counts,
            "kind_label": kind_label,
        },
    )


@require_POST
@org_view(role=Role.ORG_ADMIN)
def outbox_retry_view(request: OrgRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(
        OutboxMessage, organization=request.org, recipient__isnull=False, pk=message_id
    )
    actor: User = request.user  # type: ignore[assignment]
    if message.status == OutboxStatus.SENT:
        messages.error(request, "That message was sent already.")
    else:
        outbox_retry(message=message, actor=actor)
        messages.success(request, "The message will be sent again in a moment.")
    return redirect("notification_outbox", org_slug=request.org.slug)


# --- one-click unsubscribe (no sign-in) -------------------------------------------------------


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation (link scanners must not unsubscribe anyone); POST unsubscribes —
    that is what mail clients send for `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    The page names the kind of message only: whoever holds the link learns nothing else."""
    found = read_unsubscribe_token(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    person, kind = found
    if request.method == "POST":
        preference_set(person=person, kind=kind, channel="off")
        return render(
            request, "notifications/unsubscribe.html", {"done": True, "label": kind_label(kind)}
        )
    return render(request, "notifications/unsubscribe.html", {"label": kind_label(kind)})
