"""The calendar files are proven with independent parsers: `icalendar` reads them and
`recurring-ical-events` expands them to exactly the dates the app stores and shows."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from typing import Any

import icalendar
import pytest
import recurring_ical_events
import time_machine
from django.db import connection
from django.urls import reverse

from tests.conftest import World, client_for, require_postgres
from tests.meetings.reader import starts
from tests.partnerships.factories import pair
from twoway.meetings.models import CheckIn, CheckinSeries
from twoway.meetings.selectors import feed_ics
from twoway.meetings.services import (
    CheckinError,
    checkin_cancel,
    checkin_move,
    checkin_schedule_set,
    checkin_series_cancel,
)
from twoway.notifications.models import OutboxMessage
from twoway.people.models import Person

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# Sunday 1 March 2026, noon in Berlin; summer time starts on Sunday 29 March.
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=BERLIN)
WINDOW = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))


def schedule(w: World, **overrides: object) -> CheckinSeries:
    partnership = pair(w)
    partnership.ends_on = dt.date(2026, 6, 30)
    partnership.save(update_fields=["ends_on"])
    args: dict[str, object] = {
        "partnership": partnership,
        "by": w.alice_person,
        "weekday": 1,  # Tuesday
        "local_time": dt.time(10, 0),
        "time_zone": "Europe/Berlin",
        "every_weeks": 2,
        "duration_minutes": 30,
        "mode": "video",
        "location": "https://meet.example/x",
    }
    args.update(overrides)
    return checkin_schedule_set(**args)  # type: ignore[arg-type]


def parse(text: str) -> Any:
    """The parsed calendar, loosely typed: tests index into it freely."""
    return icalendar.Calendar.from_ical(text)


def last_attachment(w: World, template: str) -> str:
    message = (
        OutboxMessage.objects.filter(recipient=w.bob_person, template=template)
        .order_by("-id")
        .first()
    )
    assert message is not None
    return str(message.attachments[0]["content"])


def expand(text: str) -> list[dt.datetime]:
    cal = parse(text)
    events = recurring_ical_events.of(cal).between(*WINDOW)
    return sorted(e.start.astimezone(dt.UTC) for e in events)


def shown(series: CheckinSeries) -> list[dt.datetime]:
    """What the app has (and shows) for the series: every occurrence not cancelled."""
    return sorted(
        c.scheduled_start.astimezone(dt.UTC)
        for c in CheckIn.objects.filter(series=series).exclude(status="cancelled")
    )


@time_machine.travel(NOW, tick=False)
def test_it_expands_to_the_apps_dates_across_a_daylight_saving_change(world: World) -> None:
    series = schedule(world)
    text = last_attachment(world, "checkin_invite")
    cal = parse(text)
    assert cal["METHOD"] == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == series.uid
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert "mailto:alice@acme.example" in str(event["ORGANIZER"])
    attendees = [str(a) for a in event["ATTENDEE"]]
    assert sorted(attendees) == ["mailto:alice@acme.example", "mailto:bob@acme.example"]
    rrule = event["RRULE"]
    assert rrule["FREQ"] == ["WEEKLY"] and rrule["INTERVAL"] == [2] and rrule["BYDAY"] == ["TU"]

    starts = expand(text)
    assert starts == shown(series)
    assert len(starts) == 9  # 3 March … 30 June, fortnightly
    # 10:00 in Berlin is 09:00 UTC in winter and 08:00 UTC in summer.
    assert starts[0] == dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
    assert starts[2] == dt.datetime(2026, 3, 31, 8, 0, tzinfo=dt.UTC)
    assert all(s.astimezone(BERLIN).hour == 10 for s in starts)


@time_machine.travel(NOW, tick=False)
def test_an_update_keeps_the_uid_bumps_the_sequence_and_still_matches(world: World) -> None:
    first = schedule(world)
    updated = schedule(world, weekday=3, local_time=dt.time(15, 30), every_weeks=3)
    assert updated.pk == first.pk and updated.uid == first.uid
    text = last_attachment(world, "checkin_invite")
    [event] = parse(text).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1
    assert event["RRULE"]["BYDAY"] == ["TH"] and event["RRULE"]["INTERVAL"] == [3]
    starts = expand(text)
    assert starts == shown(updated)
    assert all(s.astimezone(BERLIN).strftime("%a %H:%M") == "Thu 15:30" for s in starts)


@time_machine.travel(NOW, tick=False)
def test_a_cancelled_and_a_moved_occurrence(world: World) -> None:
    series = schedule(world)
    occurrences = list(CheckIn.objects.filter(series=series).order_by("scheduled_start"))
    cancelled = checkin_cancel(checkin=occurrences[2], by=world.bob_person)

    cancel = parse(last_attachment(world, "checkin_cancel"))
    assert cancel["METHOD"] == "CANCEL"
    [event] = cancel.walk("VEVENT")
    assert str(event["UID"]) == series.uid
    assert event["STATUS"] == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    assert event["RECURRENCE-ID"].dt == cancelled.scheduled_start

    original = occurrences[4].scheduled_start
    new_time = original + dt.timedelta(days=1, hours=2)
    checkin_move(checkin=occurrences[4], by=world.alice_person, start=new_time)
    text = last_attachment(world, "checkin_invite")
    cal = parse(text)
    master, override = cal.walk("VEVENT")
    assert int(master["SEQUENCE"]) == 2
    assert [d.dt for d in master["EXDATE"].dts] == [cancelled.scheduled_start]
    assert override["RECURRENCE-ID"].dt == original
    assert original not in expand(text)
    starts = expand(text)
    assert starts == shown(series)
    assert cancelled.scheduled_start not in starts
    assert new_time in starts
    # The personal feed says the same.
    assert expand(feed_ics(world.bob_person)[0]) == starts


@time_machine.travel(NOW, tick=False)
def test_cancelling_the_series_sends_a_cancel(world: World) -> None:
    series = schedule(world)
    checkin_series_cancel(series=series, by=world.alice_person)
    cal = parse(last_attachment(world, "checkin_cancel"))
    assert cal["METHOD"] == "CANCEL"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == series.uid and int(event["SEQUENCE"]) == 1
    assert event["STATUS"] == "CANCELLED"
    assert not CheckIn.objects.filter(series=series, status="scheduled").exists()
    assert expand(feed_ics(world.bob_person)[0]) == []


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_the_same_times_in_each_viewers_time_zone(world: World) -> None:
    world.bob_person.time_zone = "America/New_York"
    world.bob_person.save()
    series = schedule(world)
    url = reverse(
        "partnership_home", kwargs={"org_slug": "acme", "partnership_id": series.partnership_id}
    )
    alice_page = client_for(world.alice).get(url).content.decode()
    bob_page = client_for(world.bob).get(url).content.decode()
    # Tuesday 3 March, 10:00 in Berlin = 04:00 in New York.
    assert "Tuesday 3 March 2026, 10:00" in alice_page
    assert "Tuesday 3 March 2026, 04:00" in bob_page


@pytest.mark.parametrize("bad", [{"every_weeks": "0"}, {"time_zone": "Mars/Olympus"}])
def test_bad_schedule_input_is_a_400_and_keeps_what_was_typed(world: World, bad: dict) -> None:
    url = reverse("checkin_schedule", kwargs={"org_slug": "acme", "partnership_id": pair(world).pk})
    data = {
        "weekday": "2",
        "local_time": "16:45",
        "time_zone": "Europe/Berlin",
        "every_weeks": "2",
        "duration_minutes": "30",
        "mode": "video",
        "location": "Room 12",
        **bad,
    }
    response = client_for(world.alice).post(url, data)
    assert response.status_code == 400
    assert 'value="16:45"' in response.content.decode()
    assert 'value="Room 12"' in response.content.decode()
    assert not CheckinSeries.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_duration_only_change_keeps_app_and_calendar_in_agreement(world: World) -> None:
    series = schedule(world)
    occurrences = list(CheckIn.objects.filter(series=series).order_by("scheduled_start"))
    cancelled = checkin_cancel(checkin=occurrences[2], by=world.bob_person)
    moved_to = occurrences[3].scheduled_start + dt.timedelta(days=1)
    checkin_move(checkin=occurrences[3], by=world.bob_person, start=moved_to)
    changed = schedule(world, duration_minutes=45)
    assert changed.uid == series.uid
    # The cancellation and the move made on those dates still hold, in the app...
    assert not CheckIn.objects.filter(
        series=changed, scheduled_start=cancelled.scheduled_start, status="scheduled"
    ).exists()
    assert CheckIn.objects.filter(series=changed, scheduled_start=moved_to).exists()
    # ... and in the invitation: the same dates, every one 45 minutes long.
    text = last_attachment(world, "checkin_invite")
    assert expand(text) == shown(changed)
    assert cancelled.scheduled_start not in expand(text) and moved_to in expand(text)
    events = recurring_ical_events.of(parse(text)).between(*WINDOW)
    assert {e.end - e.start for e in events} == {dt.timedelta(minutes=45)}
    assert set(
        CheckIn.objects.filter(series=changed).values_list("duration_minutes", flat=True)
    ) == {45}
    assert expand(feed_ics(world.bob_person)[0]) == shown(changed)


@time_machine.travel(NOW, tick=False)
def test_a_series_keeps_one_organizer_whoever_changes_it(world: World) -> None:
    series = schedule(world)
    schedule(world, by=world.bob_person, local_time=dt.time(11, 0))
    occurrences = list(CheckIn.objects.filter(series=series).order_by("scheduled_start"))
    checkin_move(
        checkin=occurrences[1],
        by=world.bob_person,
        start=occurrences[1].scheduled_start + dt.timedelta(hours=3),
    )
    checkin_cancel(checkin=occurrences[2], by=world.bob_person)
    checkin_series_cancel(series=series, by=world.bob_person)
    organizers = set()
    for message in OutboxMessage.objects.filter(recipient=world.bob_person):
        for event in parse(message.attachments[0]["content"]).walk("VEVENT"):
            assert str(event["UID"]) == series.uid
            organizers.add(str(event["ORGANIZER"]))
    assert organizers == {"mailto:alice@acme.example"}


@time_machine.travel(NOW, tick=False)
def test_the_download_is_a_published_calendar(world: World) -> None:
    series = schedule(world)
    url = reverse(
        "checkin_series_ics",
        kwargs={"org_slug": "acme", "partnership_id": series.partnership_id},
    )
    response = client_for(world.bob).get(url)
    assert response.status_code == 200
    assert "method=PUBLISH" in response["Content-Type"]
    cal = parse(response.content.decode())
    assert cal["METHOD"] == "PUBLISH"
    assert "RSVP" not in response.content.decode()
    assert expand(response.content.decode()) == shown(series)


def test_a_start_date_at_the_end_of_time_is_refused_and_writes_nothing(world: World) -> None:
    with pytest.raises(CheckinError):
        schedule(world, start_on=dt.date(9999, 12, 31))
    assert not CheckinSeries.objects.exists() and not OutboxMessage.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_stopping_cancels_a_check_in_moved_from_a_past_slot_to_a_future_day(world: World) -> None:
    series = schedule(world)
    first = CheckIn.objects.filter(series=series).order_by("scheduled_start").first()
    assert first is not None
    slot = first.scheduled_start
    with time_machine.travel(slot - dt.timedelta(hours=1), tick=False):
        checkin_move(checkin=first, by=world.alice_person, start=slot + dt.timedelta(days=3))
    with time_machine.travel(slot + dt.timedelta(days=1), tick=False):
        checkin_series_cancel(series=series, by=world.alice_person)
        first.refresh_from_db()
        assert first.status == "cancelled"
        text, _ = feed_ics(world.bob_person)
        assert expand(text) == shown(series) == []


@time_machine.travel(NOW, tick=False)
def test_each_cancelled_date_is_an_exdate_line_of_its_own(world: World) -> None:
    series = schedule(world)
    occurrences = list(CheckIn.objects.filter(series=series).order_by("scheduled_start"))
    for occurrence in occurrences[1:4]:
        checkin_cancel(checkin=occurrence, by=world.alice_person)
    text, _ = feed_ics(world.bob_person)
    lines = [line for line in text.split("\r\n") if line.startswith("EXDATE")]
    assert len(lines) == 3 and not any("," in line for line in lines)
    assert starts(text) == shown(series)


@pytest.mark.django_db(transaction=True)
def test_both_members_saving_a_schedule_at_once_leaves_one_series(world: World) -> None:
    require_postgres()
    partnership = pair(world)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(by: Person, hour: int) -> None:
        try:
            barrier.wait()
            checkin_schedule_set(
                partnership=partnership,
                by=by,
                weekday=1,
                local_time=dt.time(hour, 0),
                time_zone="Europe/Berlin",
                every_weeks=2,
                duration_minutes=30,
                mode="video",
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(world.alice_person, 10)),
        threading.Thread(target=save, args=(world.bob_person, 11)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    [live] = CheckinSeries.objects.filter(partnership=partnership, cancelled_at__isnull=True)
    assert live.sequence == 1  # made by one, then changed by the other
    hours = {c.scheduled_start.astimezone(BERLIN).hour for c in CheckIn.objects.filter(series=live)}
    assert hours == {live.local_time.hour}


@pytest.mark.parametrize("action", ["move", "next"])
@pytest.mark.parametrize("when", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_a_date_at_the_ends_of_time_is_a_400_and_changes_nothing(
    world: World, action: str, when: str
) -> None:
    world.alice_person.time_zone = "America/New_York"
    world.alice_person.save(update_fields=["time_zone"])
    series = schedule(world)
    checkin = CheckIn.objects.filter(series=series).order_by("scheduled_start").first()
    assert checkin is not None
    if action == "next":
        checkin.status = "held"
        checkin.scheduled_start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        checkin.save()
    before = (
        OutboxMessage.objects.count(),
        CheckIn.objects.count(),
        list(CheckIn.objects.values()),
    )
    url = reverse(
        "checkin_detail",
        kwargs={
            "org_slug": "acme",
            "partnership_id": series.partnership_id,
            "checkin_id": checkin.pk,
        },
    )
    response = client_for(world.alice).post(url, {"action": action, f"{action}-start": when})
    assert response.status_code == 400
    assert (
        OutboxMessage.objects.count(),
        CheckIn.objects.count(),
        list(CheckIn.objects.values()),
    ) == before


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_an_informal_chat_at_the_ends_of_time_is_a_400(world: World, when: str) -> None:
    url = reverse("checkin_informal", kwargs={"org_slug": "acme", "partnership_id": pair(world).pk})
    response = client_for(world.alice).post(url, {"start": when, "minutes": "20", "summary": "x"})
    assert response.status_code == 400
    assert not CheckIn.objects.exists()
