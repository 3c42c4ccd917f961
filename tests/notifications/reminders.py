"""Reminders queued straight into the outbox, for the tests and benches that deliver them (a
worker crash, database restarts, the delivery bench): twenty people and `n` rows due now."""

from __future__ import annotations

from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.notifications.models import OutboxMessage
from twoway.people.models import Person


def twenty_people(org: Organization) -> list[Person]:
    return [
        Person.objects.create(
            organization=org, name=f"Person {i}", email=f"p{i}@{org.slug}.example"
        )
        for i in range(20)
    ]


def queue_reminders(org: Organization, people: list[Person], n: int, key: str) -> None:
    """`n` request reminders due now, spread over `people`, dedupe keys `<key>:<i>`."""
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            organization=org,
            recipient=people[i % len(people)],
            kind="request",
            template="reminder_request",
            context={"sender": "Bob", "program": "Peers", "days": 5, "url": f"/o/{org.slug}/"},
            dedupe_key=f"{key}:{i}",
            due_at=now,
        )
        for i in range(n)
    )
