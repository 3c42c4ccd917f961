"""The webhook transport: one outbox row is one signed POST of one event to one endpoint.

The body is the event as JSON (id, type, created, data: ids, statuses and dates only), the same
bytes on every attempt; the signature's timestamp is the attempt's. A 2xx is delivered; a 410
means the receiver wants no more (permanent); anything else, a timeout or a refused connection
is retried with the outbox's backoff, and after the last attempt shows in the failure view.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from twoway.integrations.webhooks.models import WebhookEndpoint
from twoway.integrations.webhooks.services import CHANNEL
from twoway.integrations.webhooks.signing import HEADER, header_value
from twoway.lib import crypto
from twoway.notifications.models import OutboxMessage
from twoway.notifications.transports import TransportError

TIMEOUT_SECONDS = 10


def body_of(message: OutboxMessage) -> bytes:
    return json.dumps(message.context["event"], separators=(",", ":"), sort_keys=True).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would send the signed event somewhere nobody registered.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class WebhookTransport:
    channel = CHANNEL

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(_NoRedirect)

    def send(self, message: OutboxMessage, *, delivery_id: str) -> None:
        if message.organization_id is None:
            raise TransportError("a webhook belongs to an organization", permanent=True)
        endpoint = WebhookEndpoint.objects.filter(
            pk=message.context.get("endpoint_id"),
            organization_id=message.organization_id,
            deleted_at__isnull=True,
        ).first()
        if endpoint is None:
            raise TransportError("the webhook endpoint was deleted", permanent=True)
        try:
            secret = crypto.decrypt(endpoint.secret_encrypted)
        except crypto.InvalidToken as exc:
            raise TransportError(
                "the endpoint's secret cannot be decrypted", permanent=True
            ) from exc
        body = body_of(message)
        request = urllib.request.Request(
            endpoint.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Twoway-Webhooks/1",
                HEADER: header_value(secret, body),
                "Twoway-Event": str(message.context["event"]["type"]),
                "Twoway-Delivery": delivery_id,
            },
        )
        try:
            with self.opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            raise TransportError(f"{endpoint.url}: {exc}") from exc
        if 200 <= status < 300:
            return
        raise TransportError(f"{endpoint.url} answered {status}", permanent=status == 410)

    def close(self) -> None:
        return None
