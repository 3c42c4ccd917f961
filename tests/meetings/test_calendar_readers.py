"""Calendars as their readers see them: every file is read by vobject from its own VTIMEZONE
(tests/meetings/reader.py), never by zone name, and must agree occurrence by occurrence with
what the app shows — across daylight-saving changes in both hemispheres, over a two-year weekly
term, through a move, a cancellation, a change of rhythm and the end of the partnership.

Two calendars are checked: the subscribed feed, and the calendar of each member built only from
the invitations they were emailed, applied in order as a calendar client applies them.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine

from tests.conftest import World
from tests.meetings.reader import Occurrence, read, starts
from tests.partnerships.factories import pair
from twoway.meetings.models import CheckIn, CheckinSeries, CheckinStatus
from twoway.meetings.selectors import feed_ics
from twoway.meetings.services import (
    checkin_cancel,
    checkin_move,
    checkin_schedule_set,
    checkin_series_cancel,
)
from twoway.meetings.vtimezone import vtimezone_text
from twoway.notifications.models import OutboxMessage
from twoway.partnerships.services import partnership_close
from twoway.people.models import Person

START = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
SUNDAY = 6

# Each zone with a Sunday time in the hour after its spring change (a reader that puts the
# change an hour late reads these wrong) and not in an hour that repeats in autumn.
ZONES = [
    ("America/Los_Angeles", dt.time(3, 30)),
    ("Europe/London", dt.time(2, 30)),
    ("Europe/Berlin", dt.time(3, 30)),
    ("Australia/Sydney", dt.time(3, 30)),
    ("Asia/Kolkata", dt.time(9, 0)),
]


def shown(partnership_id: int) -> list[dt.datetime]:
    """What the app shows: every planned, held or missed check-in (cancelled ones are not)."""
    return sorted(
        c.scheduled_start.astimezone(dt.UTC)
        for c in CheckIn.objects.filter(partnership_id=partnership_id, kind="scheduled").exclude(
            status=CheckinStatus.CANCELLED
        )
    )


def inbox_calendar(person: Person) -> list[dt.datetime]:
    """The calendar `person` has if their client applied each emailed iTIP message in order:
    a REQUEST replaces the event of its UID, a CANCEL removes it or one occurrence of it."""
    requests: dict[str, str] = {}
    removed: dict[str, set[dt.datetime]] = {}
    for message in OutboxMessage.objects.filter(recipient=person).order_by("id"):
        for attachment in message.attachments or []:
            if not attachment["mimetype"].startswith("text/calendar"):
                continue
            text = attachment["content"]
            uid = re.search(r"\r\nUID:(\S+)\r\n", text)
            assert uid is not None
            key = uid.group(1)
            if "\r\nMETHOD:REQUEST\r\n" in text:
                requests[key] = text
                removed[key] = set()
            elif "RECURRENCE-ID" in text:
                removed.setdefault(key, set()).add(_recurrence_id(text))
            else:
                requests.pop(key, None)
    found: list[Occurrence] = []
    for key, text in requests.items():
        found += [o for o in read(text) if o.start not in removed.get(key, set())]
    return sorted(o.start for o in found)


def _recurrence_id(text: str) -> dt.datetime:
    """The occurrence a CANCEL names: its one VEVENT's start, as the reader reads it."""
    [occurrence] = read(text.replace("STATUS:CANCELLED", "STATUS:CONFIRMED"))
    return occurrence.start


def assert_everyone_agrees(world: World, partnership_id: int) -> list[dt.datetime]:
    app = shown(partnership_id)
    for person in (world.alice_person, world.bob_person):
        assert starts(feed_ics(person)[0]) == app, f"feed of {person.name}"
        assert inbox_calendar(person) == app, f"emailed calendar of {person.name}"
    return app


@pytest.mark.parametrize(("zone", "local_time"), ZONES, ids=[z for z, _ in ZONES])
def test_a_two_year_weekly_series_reads_the_same_everywhere(
    world: World, zone: str, local_time: dt.time
) -> None:
    tz = zoneinfo.ZoneInfo(zone)
    partnership = pair(world)
    partnership.ends_on = START.date() + dt.timedelta(weeks=104)
    partnership.save(update_fields=["ends_on"])

    def set_schedule(by: Person, **changes: object) -> CheckinSeries:
        args: dict[str, object] = {
            "partnership": partnership,
            "by": by,
            "weekday": SUNDAY,
            "local_time": local_time,
            "time_zone": zone,
            "every_weeks": 1,
            "duration_minutes": 30,
            "mode": "video",
        }
        return checkin_schedule_set(**{**args, **changes})  # type: ignore[arg-type]

    with time_machine.travel(START, tick=False):
        first = set_schedule(world.alice_person)
        app = assert_everyone_agrees(world, partnership.pk)
        # The whole term, not 60 occurrences: 104 weeks of Sundays.
        assert len(app) == 104
        assert {s.astimezone(tz).time() for s in app} == {local_time}
        assert {s.astimezone(tz).weekday() for s in app} == {SUNDAY}

    with time_machine.travel(START + dt.timedelta(weeks=30), tick=False):
        upcoming = list(
            CheckIn.objects.filter(series=first, scheduled_start__gt=dt.datetime.now(dt.UTC))
        )
        checkin_move(
            checkin=upcoming[0],
            by=world.bob_person,
            start=upcoming[0].scheduled_start + dt.timedelta(days=1, hours=2),
        )
        checkin_cancel(checkin=upcoming[1], by=world.bob_person)
        assert_everyone_agrees(world, partnership.pk)

    with time_machine.travel(START + dt.timedelta(weeks=40), tick=False):
        second = set_schedule(world.bob_person, weekday=2, local_time=dt.time(18, 0))
        assert second.uid != first.uid
        first.refresh_from_db()
        assert first.cancelled_at is not None and first.organizer_id == world.alice_person.pk
        assert second.organizer_id == world.bob_person.pk
        app = assert_everyone_agrees(world, partnership.pk)
        # The check-ins of the first 40 weeks are all still there (less the one cancelled).
        before = [s for s in app if s < dt.datetime.now(dt.UTC)]
        assert len(before) == 39

    with time_machine.travel(START + dt.timedelta(weeks=70), tick=False):
        partnership.refresh_from_db()
        partnership_close(
            partnership=partnership,
            by=world.alice_person,
            completed=False,
            reason="",
            rematch=False,
        )
        app = assert_everyone_agrees(world, partnership.pk)
        assert app and max(app) < dt.datetime.now(dt.UTC)
        assert len(app) == 39 + 30  # 40 weeks of the first rhythm, 30 of the second


@pytest.mark.parametrize("zone", [z for z, _ in ZONES])
def test_vtimezones_use_rules_and_the_time_before_the_jump(zone: str) -> None:
    text = vtimezone_text(zone, 2025, 2029)
    assert "RDATE" not in text
    if zone == "Asia/Kolkata":
        assert "RRULE" not in text and "TZOFFSETTO:+0530" in text
        return
    assert text.count("RRULE:FREQ=YEARLY;") == 2
    assert "UNTIL" not in text  # the rules in force stay valid for as long as a series runs
    # Every rule starts in 1970, so no reader takes the definition for UTC.
    assert re.findall(r"DTSTART:(\d{4})", text) == ["1970", "1970"]


def test_the_spring_change_is_written_at_the_local_time_before_it() -> None:
    text = vtimezone_text("America/Los_Angeles", 2025, 2029)
    daylight = text.split("BEGIN:DAYLIGHT")[1].split("END:DAYLIGHT")[0]
    standard = text.split("BEGIN:STANDARD")[1].split("END:STANDARD")[0]
    assert "DTSTART:19700308T020000" in daylight and "BYDAY=2SU" in daylight
    assert "DTSTART:19701101T020000" in standard and "BYDAY=1SU" in standard


def test_a_zone_that_dropped_daylight_saving_ends_its_rules() -> None:
    """Mexico City stopped changing clocks after October 2022."""
    text = vtimezone_text("America/Mexico_City", 2021, 2026)
    assert "UNTIL=20220403T080000Z" in text and "UNTIL=20221030T070000Z" in text
    event = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        + text
        + "BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=America/Mexico_City:20250701T100000\r\nDURATION:PT30M\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    [occurrence] = read(event)
    assert occurrence.start == dt.datetime(2025, 7, 1, 16, 0, tzinfo=dt.UTC)


@time_machine.travel(START, tick=False)
def test_the_old_one_line_rdate_definition_is_misread(world: World) -> None:
    """The reader is a real check: with icalendar's own VTIMEZONE (several dates on one RDATE
    line, onset after the jump) it gets a Los Angeles series wrong after the spring change."""
    from icalendar import Timezone

    partnership = pair(world)
    partnership.ends_on = START.date() + dt.timedelta(weeks=30)
    partnership.save(update_fields=["ends_on"])
    checkin_schedule_set(
        partnership=partnership,
        by=world.alice_person,
        weekday=SUNDAY,
        local_time=dt.time(9, 0),
        time_zone="America/Los_Angeles",
        every_weeks=1,
        duration_minutes=30,
        mode="video",
    )
    good, _ = feed_ics(world.alice_person)
    assert starts(good) == shown(partnership.pk)
    old = Timezone.from_tzid(
        "America/Los_Angeles", first_date=dt.date(2025, 1, 1), last_date=dt.date(2028, 12, 31)
    ).to_ical()
    ours = good.split("BEGIN:VTIMEZONE")[1].split("END:VTIMEZONE\r\n")[0]
    bad = good.replace("BEGIN:VTIMEZONE" + ours + "END:VTIMEZONE\r\n", old.decode())
    assert "RDATE" in bad
    assert starts(bad) != shown(partnership.pk)


@time_machine.travel(START, tick=False)
def test_cancelling_a_series_with_a_past_keeps_the_past(world: World) -> None:
    partnership = pair(world)
    partnership.ends_on = START.date() + dt.timedelta(weeks=20)
    partnership.save(update_fields=["ends_on"])
    series = checkin_schedule_set(
        partnership=partnership,
        by=world.alice_person,
        weekday=1,
        local_time=dt.time(10, 0),
        time_zone="Europe/Berlin",
        every_weeks=1,
        duration_minutes=30,
        mode="video",
    )
    with time_machine.travel(START + dt.timedelta(weeks=5), tick=False):
        checkin_series_cancel(series=series, by=world.bob_person)
        message = OutboxMessage.objects.filter(
            recipient=world.alice_person, template="checkin_cancel"
        ).get()
        text = message.attachments[0]["content"]
        # Not a whole-series CANCEL: the series ends with an UNTIL at the last past check-in.
        assert "METHOD:REQUEST" in text and "UNTIL=" in text
        assert "METHOD:CANCEL" not in text
        assert f"UID:{series.uid}" in text
        app = assert_everyone_agrees(world, partnership.pk)
        assert len(app) == 5
