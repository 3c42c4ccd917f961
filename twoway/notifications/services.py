"""How the rest of Twoway sends anything: `notify()` writes an outbox row; the worker sends it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from twoway.notifications.models import Channel, OutboxMessage
from twoway.people.models import Person


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str
    mimetype: str


def notify(
    *,
    person: Person,
    kind: str,
    template: str,
    context: dict[str, Any],
    dedupe_key: str,
    due_at: dt.datetime | None = None,
    channel: str = Channel.EMAIL,
    attachments: Sequence[Attachment] = (),
) -> OutboxMessage | None:
    """Queue one message for `person`, once.

    Call it inside the transaction of the change that causes the message. `context` must be
    JSON-serialisable (it is rendered at send time with templates/emails/<template>-subject.txt,
    -body.txt and -body.html). A second call with the same `dedupe_key` is a no-op and returns
    None, so retries and double clicks never double a message.
    """
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(
                organization_id=person.organization_id,
                recipient=person,
                kind=kind,
                channel=channel,
                template=template,
                context=context,
                attachments=[
                    {"filename": a.filename, "content": a.content, "mimetype": a.mimetype}
                    for a in attachments
                ],
                dedupe_key=dedupe_key,
                due_at=due_at or timezone.now(),
            )
    except IntegrityError:
        if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
