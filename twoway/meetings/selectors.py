from __future__ import annotations

from collections import defaultdict

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from twoway.lib import crypto
from twoway.lib.errors import NotAllowed, NotFound
from twoway.meetings import ics
from twoway.meetings.models import (
    AgendaItem,
    CalendarFeed,
    CheckIn,
    CheckinSeries,
    CheckinStatus,
    PrivateNote,
    SharedNote,
)
from twoway.people.models import Person
from twoway.programs.models import OPEN_PARTNERSHIP_STATUSES, Partnership, PartnershipMember


def live_series(partnership: Partnership) -> CheckinSeries | None:
    return (
        CheckinSeries.objects.filter(partnership=partnership, cancelled_at__isnull=True)
        .select_related("organizer")
        .first()
    )


def checkins_of(partnership: Partnership) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(partnership=partnership).select_related("series", "logged_by")


def upcoming_checkins(partnership: Partnership, limit: int = 4) -> list[CheckIn]:
    return list(
        checkins_of(partnership)
        .filter(status=CheckinStatus.SCHEDULED, scheduled_start__gte=timezone.now())
        .order_by("scheduled_start")[:limit]
    )


def past_checkins(partnership: Partnership) -> list[CheckIn]:
    """History, newest first: everything that has started, and cancelled ones."""
    return list(
        checkins_of(partnership)
        .filter(scheduled_start__lt=timezone.now())
        .prefetch_related("shared_notes")
        .order_by("-scheduled_start")
    )


def access_checkin(*, partnership: Partnership, checkin_id: int) -> CheckIn:
    checkin = (
        checkins_of(partnership)
        .prefetch_related(
            Prefetch("agenda", queryset=AgendaItem.objects.select_related("author")),
            Prefetch("shared_notes", queryset=SharedNote.objects.select_related("author")),
        )
        .filter(pk=checkin_id)
        .first()
    )
    if checkin is None:
        raise NotFound
    checkin.partnership = partnership
    return checkin


def checkin_for_member(*, person: Person, checkin_id: int) -> CheckIn | None:
    """A check-in of one of `person`'s own partnerships (for answers that name only the
    check-in, such as a button in Slack), or None."""
    return (
        CheckIn.objects.filter(
            pk=checkin_id,
            partnership__organization_id=person.organization_id,
            partnership__members__person=person,
        )
        .select_related("partnership__organization", "partnership__program")
        .first()
    )


class NotYours(NotAllowed):
    """Someone other than its author asked for a private note."""


def private_note_text(*, note: PrivateNote, reader: Person) -> str:
    """The plaintext of a private note, for its author only — nobody else, ever."""
    if note.author_id != reader.pk:
        raise NotYours("A private note is readable by its author only.")
    return crypto.decrypt(note.ciphertext)


def my_private_note(*, checkin: CheckIn, reader: Person) -> str:
    note = PrivateNote.objects.filter(checkin=checkin, author=reader).first()
    return private_note_text(note=note, reader=reader) if note else ""


def checkins_with_my_private_notes(*, partnership: Partnership, reader: Person) -> set[int]:
    return set(
        PrivateNote.objects.filter(checkin__partnership=partnership, author=reader).values_list(
            "checkin_id", flat=True
        )
    )


def feed_of(person: Person) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(person=person).first()


def person_for_feed_token(token: str) -> Person:
    feed = CalendarFeed.objects.select_related("person", "person__organization").filter(token=token)
    found = feed.first()
    if found is None or not token:
        raise NotFound
    CalendarFeed.objects.filter(pk=found.pk).update(last_fetched=timezone.now())
    return found.person


def feed_ics(person: Person) -> str:
    """Everything a person's calendar should show: live series and one-off check-ins of their
    open partnerships, with cancellations and moves."""
    partnership_ids = list(
        PartnershipMember.objects.filter(
            person=person, partnership__status__in=OPEN_PARTNERSHIP_STATUSES
        ).values_list("partnership_id", flat=True)
    )
    series_list = list(
        CheckinSeries.objects.filter(
            partnership_id__in=partnership_ids, cancelled_at__isnull=True
        ).select_related("organizer", "partnership", "partnership__organization")
    )
    members_of: dict[int, list[Person]] = defaultdict(list)
    for m in (
        PartnershipMember.objects.filter(partnership_id__in=partnership_ids)
        .select_related("person")
        .order_by("person__name")
    ):
        members_of[m.partnership_id].append(m.person)
    occurrences_of: dict[int, list[CheckIn]] = defaultdict(list)
    for c in CheckIn.objects.filter(series__in=series_list):
        occurrences_of[c.series_id].append(c)  # type: ignore[index]
    oneoffs = list(
        CheckIn.objects.filter(
            partnership_id__in=partnership_ids,
            series__isnull=True,
            kind="scheduled",
        ).select_related("partnership", "partnership__organization", "logged_by")
    )
    return ics.feed(person, series_list, oneoffs, members_of, occurrences_of)
