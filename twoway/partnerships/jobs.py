"""The closing reflection at term end and the weekly digest, on the worker's clock
(idempotent by dedupe key, each message with an expiry: see meetings/jobs.py)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef

from twoway.lib.batches import by_pk
from twoway.lib.jobs import job
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.notifications.models import NotificationSettings
from twoway.notifications.selectors import local_when, queued, week_started
from twoway.notifications.services import Message, notify, notify_many
from twoway.partnerships.kinds import DIGEST, REFLECTION
from twoway.partnerships.models import Reflection
from twoway.people.models import Person
from twoway.programs.models import MatchRequest, PartnershipMember, PartnershipStatus, RequestStatus
from twoway.programs.selectors import active_partnerships, members_of, partner_names

LOOKBACK = dt.timedelta(days=14)
WEEK = dt.timedelta(days=7)
# A digest lists the coming check-ins: two days late, it would list some that are over.
DIGEST_EXPIRES = dt.timedelta(days=2)


@job("closing_reflections", every=dt.timedelta(minutes=1))
def closing_reflections(now: dt.datetime) -> int:
    """At the end of the term: the closing reflection, to members who have not written one.

    A round's pairs all end the same day, so this reads the window a page of pairs at a time
    and queues each page's messages with notify_many: a handful of statements per thousand
    pairs instead of three per member. Pairs whose members have all written, or been asked
    already, are left out by the query: the other minutes of the two weeks read next to
    nothing."""
    today = now.date()
    wrote = Reflection.objects.filter(
        partnership=OuterRef("partnership_id"), author=OuterRef("person_id")
    )
    asked = queued("closing-reflection:", OuterRef("partnership_id"), ":", OuterRef("person_id"))
    someone_to_ask = PartnershipMember.objects.filter(partnership=OuterRef("pk")).exclude(
        Exists(wrote) | asked
    )
    pairs = active_partnerships().filter(
        Exists(someone_to_ask),
        ends_on__lte=today,
        ends_on__gt=today - dt.timedelta(days=LOOKBACK.days),
    )
    created = 0
    for page in by_pk(pairs):
        written = set(
            Reflection.objects.filter(partnership__in=page).values_list(
                "partnership_id", "author_id"
            )
        )
        created += notify_many(
            kind=REFLECTION,
            template="reminder_reflection",
            messages=[
                Message(
                    person=person,
                    context={
                        "partnership_id": partnership.pk,
                        "partners": partner_names(partnership, person),
                        "program": partnership.program.name,
                        "url": f"/o/{partnership.organization.slug}/",
                    },
                    dedupe_key=f"closing-reflection:{partnership.pk}:{person.pk}",
                    expires_at=now + LOOKBACK,
                )
                for partnership in page
                for person in members_of(partnership)
                if (partnership.pk, person.pk) not in written
            ],
        )
    return created


@job("weekly_digests", every=dt.timedelta(hours=1))
def weekly_digests(now: dt.datetime) -> int:
    """Monday morning, in each person's own time zone: their week, for those who opted in.
    Whoever has the week's digest queued already is left out by the query, so the other hours
    of the week read one query per time zone, not a few per person."""
    opted_in = NotificationSettings.objects.filter(weekly_digest=True, person__is_active=True)
    created = 0
    zones = opted_in.order_by().values_list("person__time_zone", flat=True).distinct()
    for zone in sorted(zones):
        week = week_started(now, zone)
        if week is None:
            continue
        waiting_rows = (
            opted_in.filter(person__time_zone=zone)
            .exclude(queued("digest:", OuterRef("person_id"), f":{week}"))
            .select_related("person__organization")
        )
        for row in waiting_rows:
            created += _digest(row.person, week, now)
    return created


def _digest(person: Person, week: str, now: dt.datetime) -> int:
    """Queue `person`'s digest of `week`; 1 if it was queued now, 0 if it was already."""
    upcoming = [
        local_when(c.scheduled_start, person.time_zone)
        for c in CheckIn.objects.filter(
            partnership__members__person=person,
            partnership__status=PartnershipStatus.ACTIVE,
            status=CheckinStatus.SCHEDULED,
            scheduled_start__gt=now,
            scheduled_start__lte=now + WEEK,
        ).order_by("scheduled_start")[:10]
    ]
    partners = sorted(
        {
            m.person.name
            for m in PartnershipMember.objects.filter(
                partnership__members__person=person,
                partnership__status=PartnershipStatus.ACTIVE,
            )
            .exclude(person=person)
            .select_related("person")
        }
    )
    waiting = MatchRequest.objects.filter(receiver=person, status=RequestStatus.OPEN).count()
    return int(
        bool(
            notify(
                person=person,
                kind=DIGEST,
                template="digest_weekly",
                context={
                    "week": week,
                    "upcoming": upcoming,
                    "partners": partners,
                    "requests_waiting": waiting,
                    "url": f"/o/{person.organization.slug}/",
                },
                dedupe_key=f"digest:{person.pk}:{week}",
                expires_at=now + DIGEST_EXPIRES,
            )
        )
    )
