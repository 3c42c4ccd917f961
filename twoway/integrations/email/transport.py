"""Email: one outbox row becomes one message handed to the SMTP relay.

What is permanent. Only the relay refusing *this recipient* (550, 551 or 553 at RCPT TO, and not
a policy refusal such as "5.7.1 relaying denied") stops retries: no later attempt will make that
address exist. A refusal of this message (4xx at RCPT, 5xx at DATA) is retried up to the
worker's attempt limit. Everything that is about the relay rather than the message — an
authentication failure (530/535), a refusal at MAIL FROM, 421, a relay or policy denial, a
dropped, refused or stalled connection — is `relay=True`: retried with backoff for as long as
the relay needs, so a relay that misbehaves never fails the whole queue. Every socket operation
is bounded by `EMAIL_TIMEOUT`, kept well below the worker's lease, so a stalled relay cannot
outlive the lease and have the message sent twice.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from twoway.notifications.models import Channel, OutboxMessage
from twoway.notifications.transports import (
    TransportError,
    render_plain,
    render_subject,
    template_context,
)

# RFC 5321: 550 mailbox unavailable, 551 user not local, 553 mailbox name not allowed. (552 at
# RCPT is to be treated as temporary, and 554 there is mostly the relay refusing us.)
RECIPIENT_GONE = {550, 551, 553}
_ENHANCED = re.compile(rb"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")


def recipient_refused_for_good(code: int, reply: bytes) -> bool:
    """A refusal of this address itself, not of us: a policy class (5.7.x: relaying denied,
    authentication required) is the relay's configuration and may be fixed tomorrow."""
    if code not in RECIPIENT_GONE:
        return False
    enhanced = _ENHANCED.match(reply or b"")
    return not (enhanced and enhanced.group(2) == b"7")


def refused_by_the_relay(code: int, reply: bytes) -> bool:
    """A refusal at RCPT TO that is about us, not the address: the relay closing (421), denying
    relay or access (554, x.7.x security and policy)."""
    enhanced = _ENHANCED.match(reply or b"")
    return code in (421, 554) or bool(enhanced and enhanced.group(2) == b"7")


def recipient_address(message: OutboxMessage) -> str:
    if message.recipient is not None:
        return message.recipient.email
    return message.recipient_email


def build_email(message: OutboxMessage, *, delivery_id: str = "") -> EmailMultiAlternatives:
    context = template_context(message)
    subject = render_subject(message, context)
    text = render_plain(f"emails/{message.template}-body.txt", context)
    headers = {
        "Message-ID": message.message_id,
        "Auto-Submitted": "auto-generated",
        "X-Twoway-Kind": message.kind,
    }
    unsubscribe = context["unsubscribe_url"]
    if unsubscribe:
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
        to=[recipient_address(message)],
        headers=headers,
    )
    try:
        html = render_to_string(f"emails/{message.template}-body.html", context)
    except TemplateDoesNotExist:
        pass  # a plain-text message (the HR request): nothing to dress up
    else:
        email.attach_alternative(html, "text/html")
    attachments = message.attachments or []
    calendar = next((a for a in attachments if _is_calendar(a)), None)
    if calendar is not None:
        # Outlook shows Accept/Decline only for a text/calendar part of the message body
        # (multipart/alternative, RFC 6047); the same file stays attached for everyone else.
        email.attach_alternative(calendar["content"], _calendar_mimetype(calendar))
    for attachment in attachments:
        email.attach(_mime_attachment(attachment))
    return email


def _is_calendar(attachment: dict[str, str]) -> bool:
    return (attachment.get("mimetype") or "").split(";")[0].strip() == "text/calendar"


def _calendar_mimetype(attachment: dict[str, str]) -> str:
    params = (attachment.get("mimetype") or "").partition(";")[2]
    method = "REQUEST"
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "method" and value.strip():
            method = value.strip().strip('"').upper()
    return f"text/calendar; method={method}"


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
            # Django's SMTP backend bounds every socket operation by EMAIL_TIMEOUT.
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
        if not recipient_address(message):
            raise TransportError("the recipient has no email address", permanent=True)
        email = build_email(message, delivery_id=delivery_id)
        try:
            self._open().send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            refusals = list(exc.recipients.values())
            permanent = bool(refusals) and all(
                recipient_refused_for_good(code, reply) for code, reply in refusals
            )
            relay = bool(refusals) and all(
                refused_by_the_relay(code, reply) for code, reply in refusals
            )
            detail = "; ".join(f"{a}: {c} {m!r}" for a, (c, m) in exc.recipients.items())
            raise TransportError(
                f"recipient refused: {detail}", permanent=permanent, relay=relay
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise TransportError(
                f"SMTP {exc.smtp_code} at MAIL FROM: {exc.smtp_error!r}", relay=True
            ) from exc
        except smtplib.SMTPDataError as exc:
            # The relay refused this message's content: retried, and after the last attempt
            # shown to admins with this text.
            self.close()
            raise TransportError(f"SMTP {exc.smtp_code} at DATA: {exc.smtp_error!r}") from exc
        except smtplib.SMTPResponseException as exc:
            # Authentication (530/535), a bad greeting, 421: the relay, not the message.
            self.close()
            raise TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", relay=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TransportError(f"SMTP: {exc or type(exc).__name__}", relay=True) from exc
