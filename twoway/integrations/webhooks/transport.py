"""The webhook transport: one outbox row is one signed POST of one event to one endpoint.

The body is the event as JSON (id, type, created, data: ids, statuses and dates only), the same
bytes on every attempt; the signature's timestamp is the attempt's. A 2xx is delivered; a 410
means the receiver wants no more (permanent); anything else, a timeout or a refused connection
is retried with the outbox's backoff, and after the last attempt shows in the failure view.
A host that resolves to an address that is not public is not contacted at all and fails for
good (addresses.py).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from urllib.parse import urlsplit

from twoway.integrations.webhooks import addresses
from twoway.integrations.webhooks.models import WebhookEndpoint
from twoway.integrations.webhooks.services import CHANNEL
from twoway.integrations.webhooks.signing import HEADER, header_value
from twoway.lib import crypto
from twoway.notifications.models import OutboxMessage
from twoway.notifications.transports import TransportError

TIMEOUT_SECONDS = 10
# Addresses of one name tried per attempt: each may take TIMEOUT_SECONDS to connect and as long
# to answer, and the attempt must end well inside the outbox lease (120 s by default).
MAX_ADDRESSES = 3


def body_of(message: OutboxMessage) -> bytes:
    return json.dumps(message.context["event"], separators=(",", ":"), sort_keys=True).encode()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to an address already checked; the Host header still names the host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to an address already checked, the certificate verified against the host name (SNI
    and hostname check as if the name had been resolved here)."""

    def __init__(
        self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to `url` through one of the addresses its host resolves to right now, each checked
    (addresses.public_addresses); the status. No proxy and no redirect is followed: either
    would send the signed event somewhere nobody checked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        checked = addresses.public_addresses(host, port)
    except addresses.NotPublic as exc:
        raise TransportError(f"{url}: {exc}; not sent", permanent=True) from exc
    except addresses.Unresolved as exc:
        raise TransportError(f"{url}: {exc}") from exc
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    error: Exception | None = None
    for address in checked[:MAX_ADDRESSES]:
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = _PinnedHTTPSConnection(
                host,
                port,
                address=str(address),
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            connection = _PinnedHTTPConnection(
                host, port, address=str(address), timeout=TIMEOUT_SECONDS
            )
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(65536)
            return response.status
        except ssl.SSLError as exc:
            # The certificate does not hold for the host: another address will not do better.
            raise TransportError(f"{url}: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            error = exc
        finally:
            connection.close()
    raise TransportError(f"{url}: {error}") from error


class WebhookTransport:
    channel = CHANNEL

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
        status = _post(
            endpoint.url,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": "Twoway-Webhooks/1",
                HEADER: header_value(secret, body),
                "Twoway-Event": str(message.context["event"]["type"]),
                "Twoway-Delivery": delivery_id,
            },
        )
        if 200 <= status < 300:
            return
        raise TransportError(f"{endpoint.url} answered {status}", permanent=status == 410)

    def close(self) -> None:
        return None
