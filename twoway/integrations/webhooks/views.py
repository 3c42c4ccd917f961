"""The org admins' page for webhook endpoints: register one (its secret shown once), see recent
deliveries' outcomes, delete one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.accounts.models import Role, User
from twoway.integrations.webhooks.models import WebhookEndpoint
from twoway.integrations.webhooks.services import (
    CHANNEL,
    webhook_endpoint_create,
    webhook_endpoint_delete,
)
from twoway.lib.errors import DomainError
from twoway.lib.events import EVENTS
from twoway.notifications.models import OutboxMessage


@org_view(Role.ORG_ADMIN)
def webhooks(request: OrgRequest) -> HttpResponse:
    new_secret = None
    error = None
    if request.method == "POST":
        user: User = request.user  # type: ignore[assignment]
        try:
            made = webhook_endpoint_create(
                organization=request.org,
                url=request.POST.get("url", ""),
                events=request.POST.getlist("events"),
                actor=user,
            )
        except DomainError as exc:
            error = str(exc)
        else:
            new_secret = made.secret
            messages.success(request, "Endpoint added. Copy its signing secret now.")
    return render(
        request,
        "webhooks/endpoints.html",
        {
            "endpoints": WebhookEndpoint.objects.filter(
                organization=request.org, deleted_at__isnull=True
            ),
            "events": EVENTS,
            "new_secret": new_secret,
            "error": error,
            # The last deliveries; failures and retries are in the outbox's failure view too.
            "deliveries": OutboxMessage.objects.filter(
                organization=request.org, channel=CHANNEL
            ).order_by("-created")[:20],
        },
        status=400 if error else 200,
    )


@require_POST
@org_view(Role.ORG_ADMIN)
def webhook_delete(request: OrgRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(
        WebhookEndpoint, pk=endpoint_id, organization=request.org, deleted_at__isnull=True
    )
    user: User = request.user  # type: ignore[assignment]
    webhook_endpoint_delete(endpoint=endpoint, actor=user)
    messages.success(request, f"No more deliveries to {endpoint.url}.")
    return redirect("webhooks", org_slug=request.org.slug)
