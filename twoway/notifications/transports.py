"""Transports: how one outbox row leaves the building (healthchecks style).

Each outside system is a package under `twoway/integrations/<name>/` whose `transport.py` has a
class with `send(message, delivery_id=…)`: it returns when the message was handed over and
raises `TransportError(permanent=…)` when it was not. Permanent errors (a refused address, a
Slack user who is gone) stop retries and show up for admins; the others are retried with backoff.

`settings.TWOWAY_TRANSPORTS` maps a channel to the dotted path of its transport class;
`build_transports()` makes a fresh set for each worker process. This module knows no
integration by name, and the integrations share only what is here (rendering helpers), never
one another's code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils.module_loading import import_string

from twoway.lib import crypto
from twoway.notifications.kinds import kind_label
from twoway.notifications.models import OutboxMessage


class TransportError(Exception):
    """`permanent`: no retry will deliver this message (stop, show it to admins). `relay`: the
    way out is down or refuses us (an SMTP relay's outage, its authentication) — nothing is
    wrong with this message, so it waits for the relay however many attempts that takes."""

    def __init__(self, message: str, *, permanent: bool = False, relay: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.relay = relay


class Transport(Protocol):
    channel: str

    def send(self, message: OutboxMessage, *, delivery_id: str) -> None: ...

    def close(self) -> None: ...


def build_transports() -> dict[str, Transport]:
    """A fresh set per worker process (they hold connections)."""
    return {channel: import_string(path)() for channel, path in settings.TWOWAY_TRANSPORTS.items()}


def reachable_organizations(channel: str, organization_ids: Iterable[int | None]) -> set[int]:
    """Of these organizations, the ones `channel` can reach now. A transport class that needs
    an organization to connect it first (Slack: a workspace) says which with its own
    `reachable_organizations(ids)`; any other reaches them all. An unknown channel reaches none.
    """
    path = settings.TWOWAY_TRANSPORTS.get(channel)
    if path is None:
        return set()
    ids = {pk for pk in organization_ids if pk is not None}
    check = getattr(import_string(path), "reachable_organizations", None)
    return set(check(ids)) if check is not None else ids


# --- what every message template sees ---------------------------------------------------------

SEALED_KEY = "_sealed"


def seal(values: dict[str, str]) -> str:
    """Encrypt the parts of a message's context that must not rest in the database in clear (a
    password-reset link, what someone confides to HR); `template_context` opens them at send
    time, so they exist in clear only in the message itself."""
    return crypto.encrypt(json.dumps(values))


def unseal(message: OutboxMessage) -> dict[str, Any]:
    sealed = message.context.get(SEALED_KEY)
    if not sealed:
        return {}
    try:
        values = json.loads(crypto.decrypt(str(sealed)))
    except (crypto.InvalidToken, ValueError) as exc:
        # The key that sealed it was dropped: no retry will open it.
        raise TransportError(
            "the sealed part of the message cannot be decrypted", permanent=True
        ) from exc
    return dict(values) if isinstance(values, dict) else {}


def template_context(message: OutboxMessage) -> dict[str, Any]:
    """The stored context (sealed parts opened), the recipient and links."""
    from twoway.notifications.services import unsubscribe_url

    context = {k: v for k, v in message.context.items() if k != SEALED_KEY}
    person = message.recipient
    return {
        **context,
        **unseal(message),
        "recipient": person,
        "recipient_email": person.email if person is not None else message.recipient_email,
        "organization": message.organization,
        "base_url": settings.BASE_URL,
        "kind": message.kind,
        "kind_label": kind_label(message.kind),
        # A plain address (an HR contact, a password reset) has no preferences to change.
        "unsubscribe_url": (
            unsubscribe_url(person=person, kind=message.kind) if person is not None else ""
        ),
    }


def render_plain(name: str, context: dict[str, Any]) -> str:
    """Render a text template without HTML escaping: a subject or a text body is not HTML, so
    "O'Brien" must not arrive as "O&#x27;Brien" (whether or not the template says so)."""
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def render_subject(message: OutboxMessage, context: dict[str, Any]) -> str:
    # One line whatever a name holds: a line break in a subject is a header injection.
    subject = render_plain(f"emails/{message.template}-subject.txt", context)
    return " ".join(subject.split())
