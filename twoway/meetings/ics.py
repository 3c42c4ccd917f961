"""Calendar invites and feeds (RFC 5545 / RFC 5546 iTIP) for check-ins.

- A series is one VEVENT with a stable UID, DTSTART in the series' time zone (with its
  VTIMEZONE), an RRULE (WEEKLY, INTERVAL, BYDAY, UNTIL in UTC), EXDATEs for cancelled
  occurrences and an override VEVENT (RECURRENCE-ID) for each moved one.
- SEQUENCE is the series' own counter, bumped on every change.
- Invites by email carry METHOD:REQUEST (new or updated) or METHOD:CANCEL (the whole series, or
  one occurrence by RECURRENCE-ID); a subscribed feed carries no METHOD.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from twoway.meetings.models import CheckIn, CheckinSeries, CheckinStatus, MeetingMode
from twoway.people.models import Person
from twoway.programs.models import Partnership

PRODID = "-//Twoway//Peer check-ins//EN"
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _calendar(method: str | None, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        # Ask subscribing calendars to refresh hourly.
        cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vText("PT1H"))
    return cal


def _address(person: Person, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    if role:
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText(role)
        address.params["RSVP"] = vText("TRUE")
    return address


def _title(members: Sequence[Person]) -> str:
    return "Peer check-in: " + " & ".join(p.name for p in members)


def _describe(partnership: Partnership, mode: str, location: str) -> tuple[str, str]:
    url = settings.BASE_URL + reverse(
        "partnership_home",
        kwargs={"org_slug": partnership.organization.slug, "partnership_id": partnership.pk},
    )
    how = MeetingMode(mode).label
    text = f"{how}{': ' + location if location else ''}\nAgenda and notes: {url}"
    return text, url


def _people(event: Event, organizer: Person, members: Sequence[Person], *, cancelled: bool) -> None:
    event.add("organizer", _address(organizer))
    for person in members:
        partstat = "ACCEPTED" if person.pk == organizer.pk else "NEEDS-ACTION"
        event.add("attendee", _address(person, None if cancelled else partstat))


def _common(
    event: Event,
    *,
    uid: str,
    sequence: int,
    partnership: Partnership,
    members: Sequence[Person],
    organizer: Person,
    mode: str,
    location: str,
    now: dt.datetime,
    cancelled: bool = False,
) -> None:
    description, url = _describe(partnership, mode, location)
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    event.add("summary", _title(members))
    event.add("description", description)
    event.add("url", url)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    _people(event, organizer, members, cancelled=cancelled)


def _series_events(
    series: CheckinSeries,
    occurrences: Iterable[CheckIn],
    members: Sequence[Person],
    *,
    now: dt.datetime,
    cancelled: bool = False,
) -> list[Event]:
    tz = series.tz
    common = {
        "partnership": series.partnership,
        "members": members,
        "organizer": series.organizer,
        "mode": series.mode,
        "location": series.location,
        "now": now,
    }
    master = Event()
    _common(master, uid=series.uid, sequence=series.sequence, cancelled=cancelled, **common)  # type: ignore[arg-type]
    master.add("dtstart", series.first_start.astimezone(tz))
    master.add("duration", dt.timedelta(minutes=series.duration_minutes))
    master.add(
        "rrule",
        {
            "freq": "weekly",
            "interval": series.every_weeks,
            "byday": WEEKDAYS[series.weekday],
            "until": series.until.astimezone(dt.UTC),
        },
    )
    events = [master]
    in_range = [o for o in occurrences if o.recurrence_id >= series.first_start]
    exdates = [
        o.recurrence_id.astimezone(tz) for o in in_range if o.status == CheckinStatus.CANCELLED
    ]
    if exdates and not cancelled:
        master.add("exdate", sorted(exdates))
    if cancelled:
        return events
    for o in in_range:
        if o.moved_from is None or o.status == CheckinStatus.CANCELLED:
            continue
        override = Event()
        _common(override, uid=series.uid, sequence=series.sequence, **common)  # type: ignore[arg-type]
        override.add("recurrence-id", o.moved_from.astimezone(tz))
        override.add("dtstart", o.scheduled_start.astimezone(tz))
        override.add("duration", dt.timedelta(minutes=o.duration_minutes))
        events.append(override)
    return events


def _oneoff_event(
    checkin: CheckIn,
    members: Sequence[Person],
    organizer: Person,
    tz_name: str,
    *,
    now: dt.datetime,
    cancelled: bool = False,
) -> Event:
    import zoneinfo

    event = Event()
    _common(
        event,
        uid=checkin.uid,
        sequence=checkin.sequence,
        partnership=checkin.partnership,
        members=members,
        organizer=organizer,
        mode=MeetingMode.VIDEO,
        location="",
        now=now,
        cancelled=cancelled,
    )
    event.add("dtstart", checkin.scheduled_start.astimezone(zoneinfo.ZoneInfo(tz_name)))
    event.add("duration", dt.timedelta(minutes=checkin.duration_minutes))
    return event


def _finish(cal: Calendar, tz_names: set[str], years: tuple[int, int]) -> str:
    first, last = years
    for name in sorted(tz_names - {"UTC"}):
        cal.add_component(
            Timezone.from_tzid(
                name, first_date=dt.date(first - 1, 1, 1), last_date=dt.date(last + 1, 12, 31)
            )
        )
    # VTIMEZONEs must come before the events that use them (some clients insist).
    cal.subcomponents.sort(key=lambda c: 0 if c.name == "VTIMEZONE" else 1)
    return cal.to_ical().decode()


def series_request(
    series: CheckinSeries, occurrences: Iterable[CheckIn], members: Sequence[Person]
) -> str:
    """METHOD:REQUEST for a new or changed series (with its exceptions)."""
    cal = _calendar("REQUEST")
    for event in _series_events(series, occurrences, members, now=timezone.now()):
        cal.add_component(event)
    return _finish(cal, {series.time_zone}, (series.first_start.year, series.until.year))


def series_cancel(series: CheckinSeries, members: Sequence[Person]) -> str:
    """METHOD:CANCEL for the whole series."""
    cal = _calendar("CANCEL")
    for event in _series_events(series, [], members, now=timezone.now(), cancelled=True):
        cal.add_component(event)
    return _finish(cal, {series.time_zone}, (series.first_start.year, series.until.year))


def occurrence_cancel(series: CheckinSeries, checkin: CheckIn, members: Sequence[Person]) -> str:
    """METHOD:CANCEL for one occurrence, named by its RECURRENCE-ID."""
    cal = _calendar("CANCEL")
    tz = series.tz
    event = Event()
    _common(
        event,
        uid=series.uid,
        sequence=series.sequence,
        partnership=series.partnership,
        members=members,
        organizer=series.organizer,
        mode=series.mode,
        location=series.location,
        now=timezone.now(),
        cancelled=True,
    )
    event.add("recurrence-id", checkin.recurrence_id.astimezone(tz))
    event.add("dtstart", checkin.scheduled_start.astimezone(tz))
    event.add("duration", dt.timedelta(minutes=checkin.duration_minutes))
    cal.add_component(event)
    year = checkin.scheduled_start.year
    return _finish(cal, {series.time_zone}, (year, year))


def oneoff(
    checkin: CheckIn,
    members: Sequence[Person],
    organizer: Person,
    tz_name: str,
    *,
    cancelled: bool = False,
) -> str:
    cal = _calendar("CANCEL" if cancelled else "REQUEST")
    cal.add_component(
        _oneoff_event(checkin, members, organizer, tz_name, now=timezone.now(), cancelled=cancelled)
    )
    year = checkin.scheduled_start.year
    return _finish(cal, {tz_name}, (year, year))


def feed(
    person: Person,
    series_list: Sequence[CheckinSeries],
    oneoffs: Sequence[CheckIn],
    members_of: dict[int, list[Person]],
    occurrences_of: dict[int, list[CheckIn]],
) -> str:
    """A subscribable feed (no METHOD): every live series and one-off check-in of `person`."""
    cal = _calendar(None, name=f"Twoway check-ins ({person.name})")
    now = timezone.now()
    tz_names: set[str] = set()
    years = [now.year]
    for series in series_list:
        members = members_of[series.partnership_id]
        for event in _series_events(series, occurrences_of.get(series.pk, []), members, now=now):
            cal.add_component(event)
        tz_names.add(series.time_zone)
        years += [series.first_start.year, series.until.year]
    for checkin in oneoffs:
        members = members_of[checkin.partnership_id]
        organizer = checkin.logged_by or members[0]
        cal.add_component(
            _oneoff_event(
                checkin,
                members,
                organizer,
                person.time_zone,
                now=now,
                cancelled=checkin.status == CheckinStatus.CANCELLED,
            )
        )
        tz_names.add(person.time_zone)
        years.append(checkin.scheduled_start.year)
    return _finish(cal, tz_names, (min(years), max(years)))
