"""Writes for check-ins: schedule, move, cancel, log, agenda, notes, calendar feed.

Every change that a calendar must know about bumps the series' SEQUENCE and queues an invite
(METHOD:REQUEST) or a cancellation (METHOD:CANCEL) for every member through the outbox.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from twoway.lib import crypto
from twoway.lib.errors import InvalidInput
from twoway.lib.events import event_publish
from twoway.meetings import ics
from twoway.meetings.models import (
    AgendaItem,
    CalendarFeed,
    CheckIn,
    CheckinKind,
    CheckinSeries,
    CheckinStatus,
    MeetingMode,
    PrivateNote,
    SharedNote,
    new_feed_token,
)
from twoway.meetings.recurrence import first_slot, series_until, weekly_starts
from twoway.notifications.services import Attachment, notify
from twoway.people.models import Person
from twoway.programs.models import Partnership


class CheckinError(InvalidInput):
    """Also a ValidationError, so that forms show it field by field."""


def _members(partnership: Partnership) -> list[Person]:
    return [m.person for m in partnership.members.select_related("person").order_by("person__name")]


def _require_member(partnership: Partnership, person: Person) -> None:
    if not partnership.members.filter(person=person).exists():
        raise CheckinError("Only a member of the partnership can do this.")


def _require_open(partnership: Partnership) -> None:
    if not partnership.is_open:
        raise CheckinError("This partnership has ended; its check-ins can no longer change.")


def _path(partnership: Partnership) -> str:
    return reverse(
        "partnership_home",
        kwargs={"org_slug": partnership.organization.slug, "partnership_id": partnership.pk},
    )


def _link(partnership: Partnership) -> str:
    return settings.BASE_URL + _path(partnership)


def _send(
    *,
    partnership: Partnership,
    members: Sequence[Person],
    by: Person,
    template: str,
    ics_text: str,
    method: str,
    key: str,
    context: dict[str, object],
) -> None:
    for person in members:
        notify(
            person=person,
            kind=template,
            template=template,
            context={
                "partnership_url": _link(partnership),
                "url": _path(partnership),
                "by": by.name,
                "partners": [p.name for p in members if p.pk != person.pk],
                **context,
            },
            dedupe_key=f"{key}:{person.pk}",
            attachments=[
                Attachment(
                    filename="cancel.ics" if method == "CANCEL" else "invite.ics",
                    content=ics_text,
                    mimetype=f"text/calendar; method={method}",
                )
            ],
        )


def _schedule_context(series: CheckinSeries) -> dict[str, object]:
    return {
        "every_weeks": series.every_weeks,
        "weekday": series.get_weekday_display(),
        "local_time": series.local_time.strftime("%H:%M"),
        "time_zone": series.time_zone,
        "minutes": series.duration_minutes,
        "mode": series.get_mode_display(),
        "location": series.location,
        "first_start": series.first_start.isoformat(),
    }


def send_series_request(series: CheckinSeries, by: Person) -> None:
    partnership = series.partnership
    members = _members(partnership)
    text = ics.series_request(series, series.checkins.all(), members)
    _send(
        partnership=partnership,
        members=members,
        by=by,
        template="checkin_invite",
        ics_text=text,
        method="REQUEST",
        key=f"checkin-series:{series.uid}:{series.sequence}",
        context={"updated": series.sequence > 0, **_schedule_context(series)},
    )


@transaction.atomic
def checkin_schedule_set(
    *,
    partnership: Partnership,
    by: Person,
    weekday: int,
    local_time: dt.time,
    time_zone: str,
    every_weeks: int,
    duration_minutes: int,
    mode: str,
    location: str = "",
    start_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> CheckinSeries:
    """Agree (or change) the pair's rhythm; occurrences from now on follow the new schedule.

    Changing keeps the series' UID and bumps its SEQUENCE, so calendars update the event in
    place. Past occurrences (held, missed) stay as they were.
    """
    _require_member(partnership, by)
    _require_open(partnership)
    if not 1 <= every_weeks <= 12:
        raise CheckinError({"every_weeks": "Choose between every week and every 12 weeks."})
    if not 10 <= duration_minutes <= 240:
        raise CheckinError({"duration_minutes": "A check-in lasts 10 to 240 minutes."})
    if mode not in MeetingMode.values:
        raise CheckinError({"mode": "Choose how you meet."})
    try:
        tz = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CheckinError({"time_zone": "Choose a known time zone."}) from None
    now = now or timezone.now()
    not_before = now
    if start_on is not None:
        not_before = max(now, dt.datetime.combine(start_on, dt.time(0), tzinfo=tz))
    first = first_slot(weekday=weekday, local_time=local_time, tz=tz, not_before=not_before)
    until_cap = series_until(first=first, ends_on=partnership.ends_on, tz=tz)
    starts = weekly_starts(
        first=first, local_time=local_time, tz=tz, every_weeks=every_weeks, until=until_cap
    )
    if not starts:
        raise CheckinError("No check-in would fit before the partnership's end date.")

    series = (
        CheckinSeries.objects.select_for_update()
        .filter(partnership=partnership, cancelled_at__isnull=True)
        .first()
    )
    carried_agenda: list[AgendaItem] = []
    if series is None:
        series = CheckinSeries(partnership=partnership)
    else:
        series.sequence += 1
        future = CheckIn.objects.filter(
            series=series, status=CheckinStatus.SCHEDULED, scheduled_start__gte=now
        )
        # Talking points already added are not lost: they move to the next check-in.
        carried_agenda = list(AgendaItem.objects.filter(checkin__in=future))
        future.delete()
    series.organizer = by
    series.weekday = weekday
    series.local_time = local_time
    series.time_zone = time_zone
    series.every_weeks = every_weeks
    series.duration_minutes = duration_minutes
    series.mode = mode
    series.location = location.strip()
    series.first_start = starts[0]
    series.until = starts[-1]
    series.save()
    created = CheckIn.objects.bulk_create(
        CheckIn(
            partnership=partnership,
            series=series,
            scheduled_start=start,
            duration_minutes=duration_minutes,
        )
        for start in starts
    )
    for item in carried_agenda:
        AgendaItem.objects.create(
            checkin_id=created[0].pk, author_id=item.author_id, text=item.text, created=item.created
        )
    series.partnership = partnership
    send_series_request(series, by)
    return series


@transaction.atomic
def checkin_series_cancel(*, series: CheckinSeries, by: Person) -> CheckinSeries:
    """Stop the recurring check-ins: future occurrences are cancelled, calendars told."""
    partnership = series.partnership
    _require_member(partnership, by)
    locked = CheckinSeries.objects.select_for_update().get(pk=series.pk)
    if locked.cancelled_at is not None:
        return locked
    now = timezone.now()
    locked.cancelled_at = now
    locked.sequence += 1
    locked.save(update_fields=["cancelled_at", "sequence", "updated"])
    CheckIn.objects.filter(
        series=locked, status=CheckinStatus.SCHEDULED, scheduled_start__gte=now
    ).update(status=CheckinStatus.CANCELLED)
    members = _members(partnership)
    _send(
        partnership=partnership,
        members=members,
        by=by,
        template="checkin_cancel",
        ics_text=ics.series_cancel(locked, members),
        method="CANCEL",
        key=f"checkin-series-cancel:{locked.uid}:{locked.sequence}",
        context={"whole_series": True, **_schedule_context(locked)},
    )
    return locked


def _bump(checkin: CheckIn) -> CheckinSeries | None:
    if checkin.series_id is None:
        checkin.sequence += 1
        return None
    series = CheckinSeries.objects.select_for_update().get(pk=checkin.series_id)
    series.sequence += 1
    series.save(update_fields=["sequence", "updated"])
    return series


@transaction.atomic
def checkin_cancel(*, checkin: CheckIn, by: Person) -> CheckIn:
    """Cancel one occurrence (an EXDATE in the series; a CANCEL with its RECURRENCE-ID)."""
    partnership = checkin.partnership
    _require_member(partnership, by)
    if checkin.status != CheckinStatus.SCHEDULED:
        raise CheckinError("Only a planned check-in can be cancelled.")
    checkin.status = CheckinStatus.CANCELLED
    series = _bump(checkin)
    checkin.save(update_fields=["status", "sequence"])
    members = _members(partnership)
    if series is not None:
        text = ics.occurrence_cancel(series, checkin, members)
        key = f"checkin-cancel:{series.uid}:{series.sequence}"
    else:
        text = ics.oneoff(checkin, members, by, by.time_zone, cancelled=True)
        key = f"checkin-cancel:{checkin.uid}:{checkin.sequence}"
    _send(
        partnership=partnership,
        members=members,
        by=by,
        template="checkin_cancel",
        ics_text=text,
        method="CANCEL",
        key=key,
        context={"whole_series": False, "start": checkin.scheduled_start.isoformat()},
    )
    return checkin


@transaction.atomic
def checkin_move(*, checkin: CheckIn, by: Person, start: dt.datetime) -> CheckIn:
    """Move one occurrence; calendars get an override (RECURRENCE-ID = its original start)."""
    partnership = checkin.partnership
    _require_member(partnership, by)
    _require_open(partnership)
    if timezone.is_naive(start):
        raise CheckinError({"start": "A time zone is needed."})
    if checkin.status != CheckinStatus.SCHEDULED:
        raise CheckinError("Only a planned check-in can be moved.")
    if start < timezone.now():
        raise CheckinError({"start": "Choose a time in the future."})
    if checkin.series_id is not None and checkin.moved_from is None:
        checkin.moved_from = checkin.scheduled_start
    checkin.scheduled_start = start
    series = _bump(checkin)
    checkin.save(update_fields=["scheduled_start", "moved_from", "sequence"])
    if series is not None:
        send_series_request(series, by)
    else:
        _send_oneoff(checkin, by)
    return checkin


def _send_oneoff(checkin: CheckIn, by: Person) -> None:
    partnership = checkin.partnership
    members = _members(partnership)
    _send(
        partnership=partnership,
        members=members,
        by=by,
        template="checkin_invite",
        ics_text=ics.oneoff(checkin, members, by, by.time_zone),
        method="REQUEST",
        key=f"checkin-oneoff:{checkin.uid}:{checkin.sequence}",
        context={"updated": checkin.sequence > 0, "start": checkin.scheduled_start.isoformat()},
    )


@transaction.atomic
def checkin_log(*, checkin: CheckIn, by: Person, status: str) -> CheckIn:
    """'Did you meet?': mark a check-in that has started as held or missed."""
    _require_member(checkin.partnership, by)
    if status not in (CheckinStatus.HELD, CheckinStatus.MISSED):
        raise CheckinError("Mark it as held or missed.")
    if checkin.status == CheckinStatus.CANCELLED:
        raise CheckinError("This check-in was cancelled.")
    if checkin.scheduled_start > timezone.now():
        raise CheckinError("This check-in has not started yet.")
    checkin.status = status
    checkin.logged_by = by
    checkin.logged_at = timezone.now()
    checkin.save(update_fields=["status", "logged_by", "logged_at"])
    if status == CheckinStatus.HELD:
        _held(checkin)
    return checkin


def _held(checkin: CheckIn) -> None:
    event_publish(
        organization_id=checkin.partnership.organization_id,
        name="checkin.held",
        payload={
            "id": checkin.pk,
            "partnership_id": checkin.partnership_id,
            "status": checkin.status,
            "kind": checkin.kind,
            "scheduled_start": checkin.scheduled_start.isoformat(),
        },
    )


@transaction.atomic
def checkin_log_informal(
    *, partnership: Partnership, by: Person, start: dt.datetime, minutes: int, summary: str
) -> CheckIn:
    """'Informal conversations count': a chat by the coffee machine is a check-in too."""
    _require_member(partnership, by)
    if timezone.is_naive(start):
        raise CheckinError({"start": "A time zone is needed."})
    if start > timezone.now():
        raise CheckinError({"start": "Log a chat that has already happened."})
    if not 5 <= minutes <= 480:
        raise CheckinError({"minutes": "Between 5 and 480 minutes."})
    checkin = CheckIn.objects.create(
        partnership=partnership,
        kind=CheckinKind.INFORMAL,
        scheduled_start=start,
        duration_minutes=minutes,
        status=CheckinStatus.HELD,
        summary=summary.strip(),
        logged_by=by,
        logged_at=timezone.now(),
    )
    _held(checkin)
    return checkin


def next_proposal(*, checkin: CheckIn, partnership: Partnership) -> dt.datetime:
    """'When do we meet again?': the next planned occurrence, or one cadence after this one."""
    upcoming = (
        CheckIn.objects.filter(
            partnership=partnership,
            status=CheckinStatus.SCHEDULED,
            scheduled_start__gt=max(checkin.scheduled_start, timezone.now()),
        )
        .order_by("scheduled_start")
        .first()
    )
    if upcoming is not None:
        return upcoming.scheduled_start
    weeks = partnership.program.checkin_every_weeks
    proposal = checkin.scheduled_start + dt.timedelta(weeks=weeks)
    while proposal <= timezone.now():
        proposal += dt.timedelta(weeks=weeks)
    return proposal


@transaction.atomic
def checkin_next_set(
    *, partnership: Partnership, by: Person, after: CheckIn, start: dt.datetime
) -> CheckIn:
    """Pick the day to meet again: confirm or move the next occurrence, or plan a one-off."""
    _require_member(partnership, by)
    _require_open(partnership)
    if timezone.is_naive(start):
        raise CheckinError({"start": "A time zone is needed."})
    if start <= timezone.now():
        raise CheckinError({"start": "Choose a time in the future."})
    upcoming = (
        CheckIn.objects.filter(
            partnership=partnership,
            status=CheckinStatus.SCHEDULED,
            scheduled_start__gt=max(after.scheduled_start, timezone.now()),
        )
        .order_by("scheduled_start")
        .first()
    )
    if upcoming is not None:
        if upcoming.scheduled_start == start:
            return upcoming
        return checkin_move(checkin=upcoming, by=by, start=start)
    checkin = CheckIn.objects.create(
        partnership=partnership,
        scheduled_start=start,
        duration_minutes=partnership.program.checkin_minutes,
        logged_by=by,
    )
    _send_oneoff(checkin, by)
    return checkin


@transaction.atomic
def agenda_add(*, checkin: CheckIn, by: Person, text: str) -> AgendaItem:
    _require_member(checkin.partnership, by)
    text = text.strip()
    if not text:
        raise CheckinError({"text": "Write a talking point."})
    return AgendaItem.objects.create(checkin=checkin, author=by, text=text[:300])


@transaction.atomic
def shared_note_add(*, checkin: CheckIn, by: Person, body: str) -> SharedNote:
    _require_member(checkin.partnership, by)
    body = body.strip()
    if not body:
        raise CheckinError({"body": "The note is empty."})
    return SharedNote.objects.create(checkin=checkin, author=by, body=body)


@transaction.atomic
def private_note_save(*, checkin: CheckIn, by: Person, text: str) -> PrivateNote | None:
    """Write (or replace, or with empty text delete) the author's own private note.

    Only the ciphertext reaches the database.
    """
    _require_member(checkin.partnership, by)
    text = text.strip()
    if not text:
        PrivateNote.objects.filter(checkin=checkin, author=by).delete()
        return None
    note, _ = PrivateNote.objects.update_or_create(
        checkin=checkin, author=by, defaults={"ciphertext": crypto.encrypt(text)}
    )
    return note


def private_notes_rotate(*, batch: int = 500) -> int:
    """Re-encrypt every private note with the newest key; returns how many were rewritten."""
    done = 0
    last = 0
    while True:
        with transaction.atomic():
            notes = list(
                PrivateNote.objects.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")[:batch]
                .only("pk", "ciphertext")
            )
            if not notes:
                return done
            for note in notes:
                note.ciphertext = crypto.reencrypt(note.ciphertext)
            PrivateNote.objects.bulk_update(notes, ["ciphertext"])
            done += len(notes)
            last = notes[-1].pk


@transaction.atomic
def calendar_feed_regenerate(*, person: Person) -> CalendarFeed:
    """A new secret URL; the old one stops working at once."""
    feed, created = CalendarFeed.objects.get_or_create(person=person)
    if not created:
        feed.token = new_feed_token()
        feed.created = timezone.now()
        feed.save(update_fields=["token", "created"])
    return feed


@transaction.atomic
def calendar_feed_revoke(*, person: Person) -> None:
    CalendarFeed.objects.filter(person=person).delete()
