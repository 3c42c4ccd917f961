from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from twoway.accounts.models import Membership
from twoway.lib import crypto
from twoway.lib.errors import NotAllowed, NotFound
from twoway.meetings import ics
from twoway.meetings.models import (
    AgendaItem,
    CalendarFeed,
    CheckIn,
    CheckinKind,
    CheckinSeries,
    CheckinStatus,
    PrivateNote,
    SharedNote,
    feed_token_hash,
)
from twoway.people.models import Person
from twoway.programs.models import Partnership, PartnershipMember


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


def feed_for_token(token: str) -> CalendarFeed:
    """The feed a secret address names, while its person may still see their check-ins: not
    after they left the organization, lost their membership or were deactivated. 404 else."""
    if not token or len(token) > 200:
        raise NotFound
    found = (
        CalendarFeed.objects.select_related("person", "person__organization", "person__user")
        .filter(token_hash=feed_token_hash(token))
        .first()
    )
    if found is None:
        raise NotFound
    person = found.person
    user = person.user
    if (
        not person.is_active
        or person.left_on is not None
        or user is None
        or not user.is_active
        or not Membership.objects.filter(user=user, organization_id=person.organization_id).exists()
    ):
        raise NotFound
    return found


def feed_fetched(feed: CalendarFeed) -> None:
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched=timezone.now())


def feed_ics(person: Person) -> tuple[str, dt.datetime | None]:
    """Everything a person's calendar should show — every series and one-off check-in of their
    partnerships, the ended ones included (past check-ins stay) — and when it last changed."""
    partnership_ids = list(
        PartnershipMember.objects.filter(person=person).values_list("partnership_id", flat=True)
    )
    all_series = list(
        CheckinSeries.objects.filter(partnership_id__in=partnership_ids)
        .select_related("organizer", "partnership", "partnership__organization")
        .order_by("first_start", "pk")
    )
    members_of: dict[int, list[Person]] = defaultdict(list)
    for m in (
        PartnershipMember.objects.filter(partnership_id__in=partnership_ids)
        .select_related("person")
        .order_by("person__name")
    ):
        members_of[m.partnership_id].append(m.person)
    occurrences_of: dict[int, list[CheckIn]] = defaultdict(list)
    for c in CheckIn.objects.filter(series__in=all_series):
        occurrences_of[c.series_id].append(c)  # type: ignore[index]
    # A series stopped before any of its check-ins came has nothing left to show.
    series_list = [
        s
        for s in all_series
        if s.is_live
        or any(o.status != CheckinStatus.CANCELLED for o in occurrences_of.get(s.pk, []))
    ]
    oneoffs = list(
        CheckIn.objects.filter(
            partnership_id__in=partnership_ids,
            series__isnull=True,
            kind=CheckinKind.SCHEDULED,
        )
        .select_related("partnership", "partnership__organization", "organizer")
        .order_by("scheduled_start", "pk")
    )
    stamps = [s.updated for s in series_list] + [c.updated for c in oneoffs]
    stamps += [c.updated for group in occurrences_of.values() for c in group]
    # Names and addresses are in every event too: a renamed partner is a changed feed.
    stamps += [p.updated for group in members_of.values() for p in group]
    text = ics.feed(person, series_list, oneoffs, members_of, occurrences_of)
    return text, max(stamps) if stamps else None
