"""Calendar invites, files and feeds (RFC 5545 / RFC 5546 iTIP) for check-ins.

- A series is one VEVENT with a stable UID, DTSTART in the series' time zone (with a VTIMEZONE
  every reader understands, see vtimezone.py), an RRULE (WEEKLY, INTERVAL, BYDAY, UNTIL in UTC),
  EXDATEs for cancelled occurrences and an override VEVENT (RECURRENCE-ID) for each moved one.
- A series keeps its DTSTART and its ORGANIZER for its whole life. When it stops (a change of
  rhythm, a cancelled series, an ended partnership) after check-ins already happened, its RRULE
  gets an UNTIL at the last past occurrence, so those stay in everyone's calendar; a whole-series
  CANCEL is sent only for a series none of whose occurrences has come yet.
- SEQUENCE is the series' own counter, bumped on every change.
- Invites by email carry METHOD:REQUEST (new, updated or ended) or METHOD:CANCEL (a series that
  never started, or one occurrence by RECURRENCE-ID); the downloadable file is METHOD:PUBLISH and
  the subscribed feed carries no METHOD. Both of those stamp each event with the time it last
  changed (not the time of the download), so an unchanged feed is byte for byte the same.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from twoway.meetings.models import CheckIn, CheckinSeries, CheckinStatus, MeetingMode
from twoway.meetings.vtimezone import vtimezone
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


def _address(person: Person, partstat: str | None = None, *, rsvp: bool = False) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    if partstat:
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText(partstat)
        if rsvp:
            address.params["RSVP"] = vText("TRUE")
    return address


def _title(members: Sequence[Person]) -> str:
    return "Peer check-in: " + " & ".join(p.name for p in members)


def mode_label(mode: str) -> str:
    return MeetingMode(mode).label if mode in MeetingMode.values else ""


def _describe(partnership: Partnership, mode: str, location: str) -> tuple[str, str]:
    url = settings.BASE_URL + reverse(
        "partnership_home",
        kwargs={"org_slug": partnership.organization.slug, "partnership_id": partnership.pk},
    )
    how = mode_label(mode)
    where = ": ".join(part for part in (how, location) if part)
    text = f"{where}\n" if where else ""
    return f"{text}Agenda and notes: {url}", url


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
    stamp: dt.datetime,
    method: str | None,
    cancelled: bool = False,
) -> None:
    description, url = _describe(partnership, mode, location)
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("summary", _title(members))
    event.add("description", description)
    event.add("url", url)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", _address(organizer))
    for person in members:
        partstat = None
        if not cancelled:
            partstat = "ACCEPTED" if person.pk == organizer.pk else "NEEDS-ACTION"
        event.add("attendee", _address(person, partstat, rsvp=method == "REQUEST"))


def _series_events(
    series: CheckinSeries,
    occurrences: Iterable[CheckIn],
    members: Sequence[Person],
    *,
    stamp: dt.datetime | None,
    method: str | None,
    cancelled: bool = False,
) -> list[Event]:
    """The master VEVENT and one override per moved occurrence.

    Only occurrences within [first_start, until] belong to the series' calendar event: an ended
    series keeps exactly the occurrences up to its UNTIL.
    """
    tz = series.tz
    when = stamp or series.updated
    common = {
        "partnership": series.partnership,
        "members": members,
        "organizer": series.organizer,
        "mode": series.mode,
        "location": series.location,
        "stamp": when,
        "method": method,
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
    if cancelled:
        return events
    in_range = [o for o in occurrences if series.first_start <= o.recurrence_id <= series.until]
    exdates = [
        o.recurrence_id.astimezone(tz) for o in in_range if o.status == CheckinStatus.CANCELLED
    ]
    # One EXDATE per line: some readers keep only the first value of a multi-valued line.
    for exdate in sorted(exdates):
        master.add("exdate", exdate)
    for o in in_range:
        changed = o.moved_from is not None or o.duration_minutes != series.duration_minutes
        if not changed or o.status == CheckinStatus.CANCELLED:
            continue
        override = Event()
        _common(override, uid=series.uid, sequence=series.sequence, **common)  # type: ignore[arg-type]
        override.add("recurrence-id", o.recurrence_id.astimezone(tz))
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
    stamp: dt.datetime | None,
    method: str | None,
    cancelled: bool = False,
) -> Event:
    event = Event()
    _common(
        event,
        uid=checkin.uid,
        sequence=checkin.sequence,
        partnership=checkin.partnership,
        members=members,
        organizer=organizer,
        mode=checkin.mode,
        location=checkin.location,
        stamp=stamp or checkin.updated,
        method=method,
        cancelled=cancelled,
    )
    event.add("dtstart", checkin.scheduled_start.astimezone(zoneinfo.ZoneInfo(tz_name)))
    event.add("duration", dt.timedelta(minutes=checkin.duration_minutes))
    return event


def oneoff_organizer(checkin: CheckIn, members: Sequence[Person]) -> Person:
    """The person who planned a one-off check-in stays its organizer whoever moves it."""
    for person in members:
        if person.pk == checkin.organizer_id:
            return person
    return checkin.organizer or members[0]


def _finish(cal: Calendar, tz_names: set[str], years: tuple[int, int]) -> str:
    first, last = years
    zones = [vtimezone(name, first - 1, last + 1) for name in sorted(tz_names - {"UTC", "Etc/UTC"})]
    # VTIMEZONEs come before the events that use them (some readers insist).
    cal.subcomponents[:0] = zones
    return cal.to_ical().decode()


def _series_years(series: CheckinSeries) -> tuple[int, int]:
    return series.first_start.year, series.until.year


def series_request(
    series: CheckinSeries, occurrences: Iterable[CheckIn], members: Sequence[Person]
) -> str:
    """METHOD:REQUEST for a new, changed or ended series (with its exceptions)."""
    cal = _calendar("REQUEST")
    for event in _series_events(
        series, occurrences, members, stamp=timezone.now(), method="REQUEST"
    ):
        cal.add_component(event)
    return _finish(cal, {series.time_zone}, _series_years(series))


def series_published(
    series: CheckinSeries, occurrences: Iterable[CheckIn], members: Sequence[Person]
) -> str:
    """METHOD:PUBLISH: the series as a file to import by hand (not an invitation)."""
    cal = _calendar("PUBLISH")
    for event in _series_events(series, occurrences, members, stamp=None, method="PUBLISH"):
        cal.add_component(event)
    return _finish(cal, {series.time_zone}, _series_years(series))


def series_cancel(series: CheckinSeries, members: Sequence[Person]) -> str:
    """METHOD:CANCEL for a whole series: only for one none of whose occurrences came yet."""
    cal = _calendar("CANCEL")
    for event in _series_events(
        series, [], members, stamp=timezone.now(), method="CANCEL", cancelled=True
    ):
        cal.add_component(event)
    return _finish(cal, {series.time_zone}, _series_years(series))


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
        stamp=timezone.now(),
        method="CANCEL",
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
    tz_name: str,
    *,
    cancelled: bool = False,
) -> str:
    method = "CANCEL" if cancelled else "REQUEST"
    cal = _calendar(method)
    organizer = oneoff_organizer(checkin, members)
    cal.add_component(
        _oneoff_event(
            checkin,
            members,
            organizer,
            tz_name,
            stamp=timezone.now(),
            method=method,
            cancelled=cancelled,
        )
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
    """A subscribable feed (no METHOD): every series and one-off check-in of `person`, the
    past ones included. Nothing in it depends on the time of the request."""
    cal = _calendar(None, name=f"Twoway check-ins ({person.name})")
    tz_names: set[str] = set()
    years: list[int] = []
    for series in series_list:
        members = members_of[series.partnership_id]
        for event in _series_events(
            series, occurrences_of.get(series.pk, []), members, stamp=None, method=None
        ):
            cal.add_component(event)
        tz_names.add(series.time_zone)
        years += _series_years(series)
    for checkin in oneoffs:
        members = members_of[checkin.partnership_id]
        cal.add_component(
            _oneoff_event(
                checkin,
                members,
                oneoff_organizer(checkin, members),
                person.time_zone,
                stamp=None,
                method=None,
                cancelled=checkin.status == CheckinStatus.CANCELLED,
            )
        )
        tz_names.add(person.time_zone)
        years.append(checkin.scheduled_start.year)
    if not years:
        return _finish(cal, set(), (2000, 2000))
    return _finish(cal, tz_names, (min(years), max(years)))
