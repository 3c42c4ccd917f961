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
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from twoway.lib import crypto
from twoway.lib.errors import InvalidInput
from twoway.lib.events import event_publish
from twoway.meetings import ics
from twoway.meetings.models import (
    SHARED_NOTE_MAX_CHARS,
    AgendaItem,
    CalendarFeed,
    CheckIn,
    CheckinKind,
    CheckinSeries,
    CheckinStatus,
    MeetingMode,
    PrivateNote,
    SharedNote,
    feed_token_hash,
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


# How far ahead a single check-in may be planned or moved: past any partnership's term (104
# weeks) and short of the year 9999, whose last hours overflow in UTC.
LATEST_AHEAD = dt.timedelta(days=3 * 366)


def _require_reachable(start: dt.datetime) -> None:
    """Refuse a date no partnership reaches, before anything converts it (no OverflowError)."""
    if timezone.is_naive(start):
        raise CheckinError({"start": "A time zone is needed."})
    # Compared as calendar dates: converting 9999-12-31 23:59 in New York to UTC overflows.
    if start.date() > (timezone.now() + LATEST_AHEAD).date():
        raise CheckinError({"start": "Choose a date within the next three years."})


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


def _tz(person: Person) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(person.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_when(moment: dt.datetime, person: Person) -> str:
    """'Tuesday 3 March 2026, 10:00 (Europe/Berlin)': a moment as `person` reads it."""
    local = moment.astimezone(_tz(person))
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} ({local.tzinfo})"


def _names(people: Sequence[Person]) -> str:
    names = [p.name for p in people]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def calendar_attachment(ics_text: str) -> Attachment:
    """An iCalendar text as the outbox stores it; build_email also shows it as the message's
    text/calendar part, which Outlook, Gmail and Apple Mail turn into Accept/Decline."""
    method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in ics_text else "REQUEST"
    return Attachment(
        filename="cancel.ics" if method == "CANCEL" else "invite.ics",
        content=ics_text,
        mimetype=f"text/calendar; method={method}",
    )


def _send(
    *,
    partnership: Partnership,
    people: Sequence[Person],
    members: Sequence[Person],
    by: Person,
    template: str,
    ics_text: str,
    key: str,
    context: dict[str, object],
    moments: dict[str, dt.datetime] | None = None,
) -> None:
    """One email per person in `people`, addressed to them: "You …" to the one who acted, the
    actor's name to the others, every date and time in the reader's own time zone."""
    for person in people:
        partners = [p for p in members if p.pk != person.pk]
        others = [p for p in partners if p.pk != by.pk]
        notify(
            person=person,
            # The kind is the template: invites and cancellations are routed one by one.
            kind=template,
            template=template,
            context={
                "partnership_id": partnership.pk,
                "partnership_url": _link(partnership),
                "url": _path(partnership),
                "by": by.name,
                "by_you": person.pk == by.pk,
                "partners": [p.name for p in partners],
                "partner_names": _names(partners) if partners else "",
                "others": _names(others) if others else "",
                **context,
                **{name: local_when(m, person) for name, m in (moments or {}).items()},
            },
            dedupe_key=f"{key}:{person.pk}",
            attachments=[calendar_attachment(ics_text)],
        )


def _rhythm(series: CheckinSeries) -> dict[str, object]:
    """The agreed rhythm in the series' own time zone (the zone the pair agreed on)."""
    every = "every week" if series.every_weeks == 1 else f"every {series.every_weeks} weeks"
    return {
        "every": every,
        "weekday": series.get_weekday_display(),
        "local_time": series.local_time.strftime("%H:%M"),
        "time_zone": series.time_zone,
        "minutes": series.duration_minutes,
        "mode": series.get_mode_display(),
        "location": series.location,
    }


def _changes(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """What a reader needs to notice, in words: 'Time: Tuesday 10:00 → Thursday 15:30'."""

    def when(r: dict[str, object]) -> str:
        return f"{r['weekday']} {r['local_time']} ({r['time_zone']})"

    def how(r: dict[str, object]) -> str:
        return f"{r['mode']}: {r['location']}" if r["location"] else str(r["mode"])

    lines = []
    if when(before) != when(after):
        lines.append(f"Day and time: {when(before)} → {when(after)}")
    if before["every"] != after["every"]:
        lines.append(f"How often: {before['every']} → {after['every']}")
    if before["minutes"] != after["minutes"]:
        lines.append(f"Length: {before['minutes']} → {after['minutes']} minutes")
    if how(before) != how(after):
        lines.append(f"Where: {how(before)} → {how(after)}")
    return lines


def _next_of(series: CheckinSeries, now: dt.datetime) -> dt.datetime | None:
    upcoming = (
        CheckIn.objects.filter(
            series=series, status=CheckinStatus.SCHEDULED, scheduled_start__gte=now
        )
        .order_by("scheduled_start")
        .first()
    )
    return upcoming.scheduled_start if upcoming else None


def send_series_request(
    series: CheckinSeries,
    by: Person,
    *,
    change: str,
    context: dict[str, object] | None = None,
    moments: dict[str, dt.datetime] | None = None,
) -> None:
    partnership = series.partnership
    members = _members(partnership)
    now = timezone.now()
    upcoming = _next_of(series, now)
    _send(
        partnership=partnership,
        people=members,
        members=members,
        by=by,
        template="checkin_invite",
        ics_text=ics.series_request(series, series.checkins.all(), members),
        key=f"checkin-series:{series.uid}:{series.sequence}",
        context={"change": change, **_rhythm(series), **(context or {})},
        moments={**({"next_when": upcoming} if upcoming else {}), **(moments or {})},
    )


def _history_of(series: CheckinSeries, now: dt.datetime) -> QuerySet[CheckIn]:
    """Occurrences that belong to the past: their time has come, or they were logged. They
    stay in every calendar whatever happens to the series later. (One moved from a past slot to
    a future day is still to come: stopping the series cancels it.)"""
    return CheckIn.objects.filter(series=series).filter(
        Q(scheduled_start__lt=now) | Q(status__in=[CheckinStatus.HELD, CheckinStatus.MISSED])
    )


def _has_history(series: CheckinSeries, now: dt.datetime) -> bool:
    return _history_of(series, now).exclude(status=CheckinStatus.CANCELLED).exists()


def _end_series(series: CheckinSeries, now: dt.datetime) -> None:
    """Stop a series after its last past occurrence: RRULE UNTIL there, so calendars keep the
    check-ins that happened and drop the rest. `series` must be locked."""
    history = list(_history_of(series, now))
    last = max(o.recurrence_id for o in history)
    series.until = last
    series.cancelled_at = now
    series.sequence += 1
    series.save(update_fields=["until", "cancelled_at", "sequence", "updated"])
    # A slot of the old rhythm up to `last` with no row (only when an occurrence was moved
    # earlier and happened before its own slot): calendars must not show it, so neither does
    # the app.
    have = set(CheckIn.objects.filter(series=series).values_list("scheduled_start", flat=True))
    have |= {o.moved_from for o in history if o.moved_from}
    slots = weekly_starts(
        first=series.first_start,
        local_time=series.local_time,
        tz=series.tz,
        every_weeks=series.every_weeks,
        until=last,
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            partnership_id=series.partnership_id,
            series=series,
            scheduled_start=slot,
            duration_minutes=series.duration_minutes,
            status=CheckinStatus.CANCELLED,
        )
        for slot in slots
        if slot not in have
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

    A series none of whose check-ins has come yet is updated in place (same UID, SEQUENCE + 1,
    same organizer). A series with check-ins behind it is ended after the last of them (they
    stay in both calendars) and a new series, organised by whoever set the new rhythm, carries
    on. Future occurrences whose slot is still in the rhythm keep what was done to them (a
    cancellation, a move, the agenda); the others go, and their talking points move to the next
    check-in.
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
        try:
            not_before = max(now, dt.datetime.combine(start_on, dt.time(0), tzinfo=tz))
        except OverflowError:
            raise CheckinError({"start_on": "Choose a date in the next few years."}) from None
    try:
        first = first_slot(weekday=weekday, local_time=local_time, tz=tz, not_before=not_before)
        until_cap = series_until(first=first, ends_on=partnership.ends_on, tz=tz)
    except OverflowError:
        raise CheckinError({"start_on": "Choose a date in the next few years."}) from None
    starts = weekly_starts(
        first=first, local_time=local_time, tz=tz, every_weeks=every_weeks, until=until_cap
    )
    if not starts:
        raise CheckinError("No check-in would fit before the partnership's end date.")

    # Both members saving a schedule at the same moment: the partnership row makes one wait for
    # the other, so the second sees the first's series and changes it (no second live series,
    # no IntegrityError). Only that row is locked, not the rows select_related would join.
    Partnership.objects.select_for_update(of=("self",)).filter(pk=partnership.pk).exists()
    series = (
        CheckinSeries.objects.select_for_update()
        .filter(partnership=partnership, cancelled_at__isnull=True)
        .first()
    )
    future: list[CheckIn] = []
    change = "new"
    before: dict[str, object] = {}
    if series is not None:
        before = _rhythm(series)
        history = _history_of(series, now)
        future = list(CheckIn.objects.filter(series=series).exclude(pk__in=history.values("pk")))
        if _has_history(series, now):
            old = series
            _end_series(old, now)
            old.partnership = partnership
            _send(
                partnership=partnership,
                people=_members(partnership),
                members=_members(partnership),
                by=by,
                template="checkin_cancel",
                ics_text=ics.series_request(old, old.checkins.all(), _members(partnership)),
                key=f"checkin-series:{old.uid}:{old.sequence}",
                context={"change": "replaced", **_rhythm(old)},
                moments={"last_when": old.until},
            )
            series = CheckinSeries(partnership=partnership, organizer=by)
            change = "replaced"
        else:
            series.sequence += 1
            change = "updated"
    else:
        series = CheckinSeries(partnership=partnership, organizer=by)
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

    kept = {o.recurrence_id: o for o in future if o.recurrence_id in set(starts)}
    gone = [o for o in future if o.recurrence_id not in kept or kept[o.recurrence_id] is not o]
    for occurrence in kept.values():
        occurrence.series = series
        occurrence.duration_minutes = duration_minutes
        occurrence.save(update_fields=["series", "duration_minutes", "updated"])
    created = CheckIn.objects.bulk_create(
        CheckIn(
            partnership=partnership,
            series=series,
            scheduled_start=start,
            duration_minutes=duration_minutes,
        )
        for start in starts
        if start not in kept
    )
    carried = list(AgendaItem.objects.filter(checkin__in=gone))
    CheckIn.objects.filter(pk__in=[o.pk for o in gone]).delete()
    upcoming = sorted(
        [o for o in [*kept.values(), *created] if o.status == CheckinStatus.SCHEDULED],
        key=lambda o: o.scheduled_start,
    )
    if carried and upcoming:
        # Talking points already added are not lost: they move to the next check-in.
        AgendaItem.objects.bulk_create(
            AgendaItem(
                checkin_id=upcoming[0].pk, author_id=i.author_id, text=i.text, created=i.created
            )
            for i in carried
        )
    series.partnership = partnership
    send_series_request(
        series,
        by,
        change=change,
        context={"changes": _changes(before, _rhythm(series)) if before else []},
    )
    return series


def _stop_series(series: CheckinSeries, now: dt.datetime) -> tuple[str, bool]:
    """Stop a live series (locked): future occurrences are cancelled. Returns the calendar
    update and whether check-ins were kept (an UNTIL) rather than the whole series cancelled."""
    kept = _has_history(series, now)
    members = _members(series.partnership)
    future = CheckIn.objects.filter(series=series, status=CheckinStatus.SCHEDULED).exclude(
        pk__in=_history_of(series, now).values("pk")
    )
    if kept:
        _end_series(series, now)
        future.update(status=CheckinStatus.CANCELLED)
        return ics.series_request(series, series.checkins.all(), members), True
    series.cancelled_at = now
    series.sequence += 1
    series.save(update_fields=["cancelled_at", "sequence", "updated"])
    future.update(status=CheckinStatus.CANCELLED)
    return ics.series_cancel(series, members), False


@transaction.atomic
def checkin_series_cancel(*, series: CheckinSeries, by: Person) -> CheckinSeries:
    """Stop the recurring check-ins: future occurrences are cancelled, past ones stay in both
    calendars, and both members are told."""
    partnership = series.partnership
    _require_member(partnership, by)
    locked = CheckinSeries.objects.select_for_update().get(pk=series.pk)
    if locked.cancelled_at is not None:
        return locked
    locked.partnership = partnership
    now = timezone.now()
    text, kept = _stop_series(locked, now)
    members = _members(partnership)
    _send(
        partnership=partnership,
        people=members,
        members=members,
        by=by,
        template="checkin_cancel",
        ics_text=text,
        key=f"checkin-series-cancel:{locked.uid}:{locked.sequence}",
        context={"change": "stopped", "kept": kept, **_rhythm(locked)},
    )
    return locked


def checkins_stop_for_ending(*, partnership: Partnership, by: Person | None) -> list[Attachment]:
    """The partnership is ending (call inside its transaction): stop its series and cancel its
    future one-off check-ins. The member who ended it gets the calendar update by email now; the
    calendar files for everyone else are returned, to travel with the kind "has ended" note
    instead of a "Cancelled" email of their own. `by` is None when the program team ended it:
    then every member gets the files with the note."""
    now = timezone.now()
    members = _members(partnership)
    texts: list[str] = []
    kept_any = False
    for series in CheckinSeries.objects.select_for_update().filter(
        partnership=partnership, cancelled_at__isnull=True
    ):
        series.partnership = partnership
        text, kept = _stop_series(series, now)
        kept_any = kept_any or kept
        texts.append(text)
    oneoffs = CheckIn.objects.select_for_update().filter(
        partnership=partnership,
        series__isnull=True,
        kind=CheckinKind.SCHEDULED,
        status=CheckinStatus.SCHEDULED,
        scheduled_start__gte=now,
    )
    for checkin in oneoffs:
        checkin.partnership = partnership
        checkin.status = CheckinStatus.CANCELLED
        checkin.sequence += 1
        checkin.save(update_fields=["status", "sequence", "updated"])
        zone = (by or ics.oneoff_organizer(checkin, members)).time_zone
        texts.append(ics.oneoff(checkin, members, zone, cancelled=True))
    if not texts or by is None:
        return [calendar_attachment(text) for text in texts]
    for index, text in enumerate(texts):
        _send(
            partnership=partnership,
            people=[by],
            members=members,
            by=by,
            template="checkin_cancel",
            ics_text=text,
            key=f"checkin-ended:{partnership.pk}:{index}",
            context={"change": "ended", "kept": kept_any},
        )
    return [calendar_attachment(text) for text in texts]


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
    checkin.save(update_fields=["status", "sequence", "updated"])
    members = _members(partnership)
    if series is not None:
        series.partnership = partnership
        text = ics.occurrence_cancel(series, checkin, members)
        key = f"checkin-cancel:{series.uid}:{series.sequence}"
    else:
        text = ics.oneoff(checkin, members, by.time_zone, cancelled=True)
        key = f"checkin-cancel:{checkin.uid}:{checkin.sequence}"
    _send(
        partnership=partnership,
        people=members,
        members=members,
        by=by,
        template="checkin_cancel",
        ics_text=text,
        key=key,
        context={"change": "one"},
        moments={"when": checkin.scheduled_start},
    )
    return checkin


@transaction.atomic
def checkin_move(*, checkin: CheckIn, by: Person, start: dt.datetime) -> CheckIn:
    """Move one occurrence; calendars get an override (RECURRENCE-ID = its original start)."""
    partnership = checkin.partnership
    _require_member(partnership, by)
    _require_open(partnership)
    _require_reachable(start)
    if checkin.status != CheckinStatus.SCHEDULED:
        raise CheckinError("Only a planned check-in can be moved.")
    if start < timezone.now():
        raise CheckinError({"start": "Choose a time in the future."})
    before = checkin.scheduled_start
    if checkin.series_id is not None and checkin.moved_from is None:
        checkin.moved_from = checkin.scheduled_start
    checkin.scheduled_start = start
    series = _bump(checkin)
    checkin.save(update_fields=["scheduled_start", "moved_from", "sequence", "updated"])
    moments = {"when": start, "before_when": before}
    if series is not None:
        series.partnership = partnership
        send_series_request(series, by, change="moved", moments=moments)
    else:
        _send_oneoff(checkin, by, change="oneoff_moved", moments=moments)
    return checkin


def _send_oneoff(
    checkin: CheckIn, by: Person, *, change: str, moments: dict[str, dt.datetime]
) -> None:
    partnership = checkin.partnership
    members = _members(partnership)
    _send(
        partnership=partnership,
        people=members,
        members=members,
        by=by,
        template="checkin_invite",
        ics_text=ics.oneoff(checkin, members, by.time_zone),
        key=f"checkin-oneoff:{checkin.uid}:{checkin.sequence}",
        context={
            "change": change,
            "minutes": checkin.duration_minutes,
            "mode": ics.mode_label(checkin.mode),
            "location": checkin.location,
        },
        moments=moments,
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
    # Compared as calendar dates: 0001-01-01 in Berlin is before the first UTC date there is.
    if start.date() < (timezone.now() - LATEST_AHEAD).date():
        raise CheckinError({"start": "Log a chat from the last three years."})
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
    _require_reachable(start)
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
    # How the pair meet is what they agreed for their rhythm, if they ever set one.
    last_series = CheckinSeries.objects.filter(partnership=partnership).order_by("-created").first()
    checkin = CheckIn.objects.create(
        partnership=partnership,
        scheduled_start=start,
        duration_minutes=partnership.program.checkin_minutes,
        organizer=by,
        mode=last_series.mode if last_series else "",
        location=last_series.location if last_series else "",
    )
    _send_oneoff(checkin, by, change="oneoff_new", moments={"when": start})
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
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise CheckinError({"body": "The note is empty."})
    if len(body) > SHARED_NOTE_MAX_CHARS:
        raise CheckinError(
            {"body": f"A shared note holds up to {SHARED_NOTE_MAX_CHARS:,} characters; split it."}
        )
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
def calendar_feed_regenerate(*, person: Person) -> str:
    """A new secret address; the old one stops working at once. Returns the new token: only
    its hash is kept, so this is the one moment it can be shown."""
    token = new_feed_token()
    CalendarFeed.objects.update_or_create(
        person=person, defaults={"token_hash": feed_token_hash(token), "created": timezone.now()}
    )
    return token


@transaction.atomic
def calendar_feed_revoke(*, person: Person) -> None:
    CalendarFeed.objects.filter(person=person).delete()
