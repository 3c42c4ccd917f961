"""Registering endpoints, and queueing one outbox row per endpoint and event."""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from twoway.accounts.models import Organization, User
from twoway.accounts.services import audit
from twoway.integrations.webhooks import addresses
from twoway.integrations.webhooks.models import WebhookEndpoint
from twoway.lib import crypto
from twoway.lib.errors import Conflict, Invalid
from twoway.lib.events import EVENTS
from twoway.notifications.models import Channel, OutboxMessage

CHANNEL = Channel.WEBHOOK
MAX_ENDPOINTS = 10


@dataclass(frozen=True)
class MadeEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    if len(url) > 500 or not host or not port or parts.username or parts.password:
        raise Invalid("Give the endpoint's full address, like https://hr.example.com/twoway.")
    # Plain HTTP only to this machine, and only where settings allow it (tests, development).
    if parts.scheme != "https" and not (
        parts.scheme == "http" and _loopback(host) and settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK
    ):
        raise Invalid("Webhooks go to HTTPS addresses only.")
    try:
        addresses.public_addresses(host, port)
    except addresses.NotPublic as exc:
        raise Invalid(
            f"Webhooks go to public internet addresses only: {exc}. Give the address your "
            "systems receive webhooks at from the internet."
        ) from None
    except addresses.Unresolved:
        # A name that does not resolve yet is kept; each delivery resolves and checks it again.
        pass
    return url


@transaction.atomic
def webhook_endpoint_create(
    *, organization: Organization, url: str, events: list[str], actor: User
) -> MadeEndpoint:
    """A new endpoint; its signing secret is returned once and rests encrypted."""
    url = _check_url(url)
    chosen = sorted(set(events))
    if not chosen or not set(chosen) <= set(EVENTS):
        raise Invalid("Choose at least one of the events.")
    live = WebhookEndpoint.objects.filter(organization=organization, deleted_at__isnull=True)
    if live.count() >= MAX_ENDPOINTS:
        raise Conflict(f"An organization has at most {MAX_ENDPOINTS} webhook endpoints.")
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=url,
        events=chosen,
        secret_encrypted=crypto.encrypt(secret),
        created_by=actor,
    )
    audit(
        org=organization,
        actor=actor,
        action="webhook.created",
        target=url,
        id=endpoint.pk,
        events=chosen,
    )
    return MadeEndpoint(endpoint, secret)


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User) -> None:
    """Stop sending to it; deliveries still queued fail for good (the transport finds it gone)."""
    updated = WebhookEndpoint.objects.filter(pk=endpoint.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now()
    )
    if updated:
        audit(
            org=endpoint.organization,
            actor=actor,
            action="webhook.deleted",
            target=endpoint.url,
            id=endpoint.pk,
        )


def _endpoints_for(organization_id: int, event: str) -> list[WebhookEndpoint]:
    # At most ten endpoints: filtered here, the same on SQLite (no JSON containment) and PostgreSQL.
    return [
        e
        for e in WebhookEndpoint.objects.filter(
            organization_id=organization_id, deleted_at__isnull=True
        ).order_by("pk")
        if event in e.events
    ]


def _delivery(
    endpoint: WebhookEndpoint, event: str, payload: dict[str, Any], now: dt.datetime
) -> OutboxMessage:
    """The outbox row of one event for one endpoint; its dedupe key makes it once per both."""
    event_id = f"{event}:{payload['id']}"
    return OutboxMessage(
        organization_id=endpoint.organization_id,
        recipient=None,
        recipient_email="",
        kind="webhook",
        channel=CHANNEL,
        template="webhook",
        context={
            "endpoint_id": endpoint.pk,
            "event": {"id": event_id, "type": event, "created": now.isoformat(), "data": payload},
        },
        dedupe_key=f"webhook:{endpoint.pk}:{event_id}",
        due_at=now,
    )


def webhooks_emit(organization_id: int, event: str, payload: dict[str, Any]) -> None:
    """One outbox row per endpoint of the organization that wants `event`, once per event and
    endpoint (the dedupe key), in the transaction of the change (the event listener)."""
    now = timezone.now()
    for endpoint in _endpoints_for(organization_id, event):
        row = _delivery(endpoint, event, payload, now)
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            if not OutboxMessage.objects.filter(dedupe_key=row.dedupe_key).exists():
                raise


def webhooks_emit_many(organization_id: int, event: str, payloads: list[dict[str, Any]]) -> None:
    """`webhooks_emit` for many objects at once (a round's partnerships, 500 per batch): one
    SELECT of the endpoints, one SELECT of dedupe keys, one INSERT; the same rows and keys."""
    endpoints = _endpoints_for(organization_id, event)
    if not endpoints or not payloads:
        return
    now = timezone.now()
    rows = {
        row.dedupe_key: row
        for row in (_delivery(e, event, p, now) for e in endpoints for p in payloads)
    }
    queued = set(
        OutboxMessage.objects.filter(dedupe_key__in=list(rows)).values_list("dedupe_key", flat=True)
    )
    OutboxMessage.objects.bulk_create(
        [row for key, row in rows.items() if key not in queued], ignore_conflicts=True
    )
