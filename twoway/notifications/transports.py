"""Transports: how one outbox row leaves the building (healthchecks style).

Each transport has `send(message, delivery_id=…)` that returns when the message was handed over
and raises `TransportError(permanent=…)` when it was not: permanent errors (a refused address, a
Slack user who is gone) stop retries and show up for admins; the others are retried with backoff.
`TRANSPORTS` maps a channel to its transport; the worker looks them up there.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template import Context
from django.template.loader import get_template, render_to_string

from twoway.notifications.kinds import can_turn_off, kind_label
from twoway.notifications.models import Channel, OutboxMessage


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    channel: str

    def send(self, message: OutboxMessage, *, delivery_id: str) -> None: ...

    def close(self) -> None: ...


def template_context(message: OutboxMessage) -> dict[str, Any]:
    """What every message template sees: the stored context, the recipient and links."""
    from twoway.notifications.services import unsubscribe_url

    return {
        **message.context,
        "recipient": message.recipient,
        "organization": message.organization,
        "base_url": settings.BASE_URL,
        "kind": message.kind,
        "kind_label": kind_label(message.kind),
        "kind_can_turn_off": can_turn_off(message.kind),
        "unsubscribe_url": unsubscribe_url(person=message.recipient, kind=message.kind),
    }


def render_plain(name: str, context: dict[str, Any]) -> str:
    """Render a text template without HTML escaping: a subject or a text body is not HTML, so
    "O'Brien" must not arrive as "O&#x27;Brien" (whether or not the template says so)."""
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def render_subject(message: OutboxMessage, context: dict[str, Any]) -> str:
    subject = render_plain(f"emails/{message.template}-subject.txt", context)
    return " ".join(subject.split())


def build_email(message: OutboxMessage, *, delivery_id: str = "") -> EmailMultiAlternatives:
    context = template_context(message)
    subject = render_subject(message, context)
    text = render_plain(f"emails/{message.template}-body.txt", context)
    html = render_to_string(f"emails/{message.template}-body.html", context)
    unsubscribe = context["unsubscribe_url"]
    headers = {
        "Message-ID": message.message_id,
        "Auto-Submitted": "auto-generated",
        "X-Twoway-Kind": message.kind,
    }
    if context["kind_can_turn_off"]:
        # No one-click button in the mail client for a calendar invite: it could not turn it off.
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if delivery_id:
        # Which claim delivered it: lets support (and the crash test) trace a delivery to one
        # worker and attempt.
        headers["X-Twoway-Delivery"] = delivery_id
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient.email],
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    for attachment in message.attachments or []:
        email.attach(_mime_attachment(attachment))
    return email


def _mime_attachment(attachment: dict[str, str]) -> MIMEBase:
    mimetype = attachment.get("mimetype") or "application/octet-stream"
    base, _, params = mimetype.partition(";")
    maintype, _, subtype = base.strip().partition("/")
    if maintype != "text":
        raise TransportError(f"only text attachments are stored, not {mimetype}", permanent=True)
    part = MIMEText(attachment["content"], subtype, "utf-8")
    for param in params.split(";"):
        if "=" in param:
            key, value = param.split("=", 1)
            part.set_param(key.strip(), value.strip())
    if subtype == "calendar" and "method" not in params:
        # Calendar clients only offer "accept" for an invitation that says it is a request.
        part.set_param("method", "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
    return part


class EmailTransport:
    """SMTP through Django's email backend, keeping one connection open between messages."""

    channel: str = Channel.EMAIL.value

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None

    def _open(self) -> BaseEmailBackend:
        if self._connection is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            # A broken connection is being dropped anyway.
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def send(self, message: OutboxMessage, *, delivery_id: str) -> None:
        if not message.recipient.email:
            raise TransportError("the recipient has no email address", permanent=True)
        email = build_email(message, delivery_id=delivery_id)
        try:
            self._open().send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            permanent = bool(codes) and all(code >= 500 for code in codes)
            detail = "; ".join(f"{a}: {c} {m!r}" for a, (c, m) in exc.recipients.items())
            raise TransportError(f"recipient refused: {detail}", permanent=permanent) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise TransportError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TransportError(f"SMTP: {exc}") from exc


def _slack_transport() -> Transport:
    from twoway.notifications.slack import SlackTransport

    return SlackTransport()


def build_transports() -> dict[str, Transport]:
    """A fresh set per worker process (they hold connections)."""
    return {Channel.EMAIL.value: EmailTransport(), Channel.SLACK.value: _slack_transport()}
